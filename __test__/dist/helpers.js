"use strict";
// Shared fixtures: scratch directories, directory snapshots, deterministic payloads.
Object.defineProperty(exports, "__esModule", { value: true });
exports.isRoot = void 0;
exports.freshDir = freshDir;
exports.snapshot = snapshot;
exports.namesIn = namesIn;
exports.scratchIn = scratchIn;
exports.xorshiftBytes = xorshiftBytes;
exports.xxhsumH2 = xxhsumH2;
const node_child_process_1 = require("node:child_process");
const node_fs_1 = require("node:fs");
const node_os_1 = require("node:os");
const node_path_1 = require("node:path");
/** A fresh empty directory for one test. */
function freshDir(prefix = 'ap-') {
    return (0, node_fs_1.mkdtempSync)((0, node_path_1.join)((0, node_os_1.tmpdir)(), prefix));
}
/** Every entry under `dir` (recursively) with its type, mode, size, mtime and content. */
function snapshot(dir) {
    const out = [];
    const walk = (d, rel) => {
        for (const name of (0, node_fs_1.readdirSync)(d).sort()) {
            const path = (0, node_path_1.join)(d, name);
            const st = (0, node_fs_1.lstatSync)(path, { bigint: true });
            const key = `${rel}${name} mode=${st.mode.toString(8)} mtime=${st.mtimeNs}`;
            if (st.isDirectory()) {
                out.push(`${key} dir`);
                walk(path, `${rel}${name}/`);
            }
            else if (st.isSymbolicLink()) {
                out.push(`${key} -> ${(0, node_fs_1.readlinkSync)(path)}`);
            }
            else {
                out.push(`${key} ${(0, node_fs_1.readFileSync)(path).toString('base64')}`);
            }
        }
    };
    walk(dir, '');
    return out;
}
/** The names in `dir`, sorted. */
function namesIn(dir) {
    return (0, node_fs_1.readdirSync)(dir).sort();
}
/** Scratch files left in `dir`. */
function scratchIn(dir) {
    return namesIn(dir).filter((n) => n.includes('.oxentmp.'));
}
/** The xorshift32 byte stream: deterministic, incompressible, cheap to make. */
function xorshiftBytes(length, seed = 0x9e3779b9) {
    const out = Buffer.allocUnsafe(Math.ceil(length / 4) * 4);
    let s = seed >>> 0;
    for (let i = 0; i < out.length; i += 4) {
        s ^= s << 13;
        s >>>= 0;
        s ^= s >>> 17;
        s ^= s << 5;
        s >>>= 0;
        out.writeUInt32LE(s, i);
    }
    return out.subarray(0, length);
}
/** What `xxhsum -H2` prints for a file, as the reference implementation of the text form. */
function xxhsumH2(file) {
    const line = (0, node_child_process_1.execFileSync)('xxhsum', ['-H2', file], { encoding: 'utf8' });
    return line.split(/\s+/)[0];
}
exports.isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
