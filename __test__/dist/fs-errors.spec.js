"use strict";
// File-system failures look like Node's, name the caller's path (never the scratch), and
// leave the target as it was with no scratch behind.
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const ava_1 = __importDefault(require("ava"));
const node_child_process_1 = require("node:child_process");
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const atomic_publish_1 = require("atomic-publish");
const helpers_js_1 = require("./helpers.js");
const rootOnly = helpers_js_1.isRoot ? ava_1.default : ava_1.default.skip;
(0, ava_1.default)('publishing onto a directory is EISDIR on open, like fs.writeFile', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'd');
    (0, node_fs_1.mkdirSync)(target);
    const before = (0, helpers_js_1.snapshot)(dir);
    const err = (await t.throwsAsync(new atomic_publish_1.AtomicFile(target).write('x')));
    t.like(err, { code: 'EISDIR', errno: -21, syscall: 'open', path: target, published: false });
    t.is(err.message, `EISDIR: illegal operation on a directory, open '${target}'`);
    t.throws(() => new atomic_publish_1.AtomicFile(target).writeSync('x'), { code: 'EISDIR' });
    t.deepEqual((0, helpers_js_1.snapshot)(dir), before);
});
(0, ava_1.default)('a file where a parent directory should be is ENOTDIR', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    (0, node_fs_1.writeFileSync)((0, node_path_1.join)(dir, 'plain'), 'keep');
    const before = (0, helpers_js_1.snapshot)(dir);
    const target = (0, node_path_1.join)(dir, 'plain', 'child');
    const err = (await t.throwsAsync(new atomic_publish_1.AtomicFile(target).write('x')));
    t.like(err, { code: 'ENOTDIR', path: target, published: false });
    t.deepEqual((0, helpers_js_1.snapshot)(dir), before);
});
rootOnly('a full disk (1 MiB tmpfs) is ENOSPC, never a truncated publish, and space coming back works', async (t) => {
    const mnt = (0, helpers_js_1.freshDir)('ap-tiny-');
    (0, node_child_process_1.execFileSync)('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    try {
        const target = (0, node_path_1.join)(mnt, 'data.bin');
        const old = (0, helpers_js_1.xorshiftBytes)(400 * 1024, 1);
        (0, node_fs_1.writeFileSync)(target, old);
        const big = (0, helpers_js_1.xorshiftBytes)(800 * 1024, 2);
        const err = (await t.throwsAsync(new atomic_publish_1.AtomicFile(target).write(big)));
        t.like(err, { code: 'ENOSPC', syscall: 'write', path: target, published: false });
        t.is(err.message, `ENOSPC: no space left on device, write '${target}'`);
        t.deepEqual((0, node_fs_1.readFileSync)(target), old, 'the old bytes stay whole');
        t.deepEqual((0, helpers_js_1.scratchIn)(mnt), []);
        t.throws(() => new atomic_publish_1.AtomicFile(target).writeSync(big), { code: 'ENOSPC' });
        t.deepEqual((0, node_fs_1.readFileSync)(target), old);
        t.deepEqual((0, helpers_js_1.scratchIn)(mnt), []);
        const fresh = (0, helpers_js_1.xorshiftBytes)(300 * 1024, 3);
        await new atomic_publish_1.AtomicFile(target).write(fresh);
        t.deepEqual((0, node_fs_1.readFileSync)(target), fresh, 'a publish that fits succeeds right after');
    }
    finally {
        (0, node_child_process_1.execFileSync)('umount', [mnt]);
    }
});
rootOnly('a read-only file system is EROFS and changes nothing', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const ro = (0, node_path_1.join)(dir, 'ro');
    (0, node_fs_1.mkdirSync)(ro);
    (0, node_fs_1.writeFileSync)((0, node_path_1.join)(ro, 'target'), 'old');
    (0, node_child_process_1.execFileSync)('mount', ['--bind', ro, ro]);
    try {
        (0, node_child_process_1.execFileSync)('mount', ['-o', 'remount,ro,bind', ro]);
        const before = (0, helpers_js_1.snapshot)(ro);
        const err = (await t.throwsAsync(new atomic_publish_1.AtomicFile((0, node_path_1.join)(ro, 'target')).write('new')));
        t.like(err, { code: 'EROFS', syscall: 'open', path: (0, node_path_1.join)(ro, 'target'), published: false });
        t.deepEqual((0, helpers_js_1.snapshot)(ro), before);
    }
    finally {
        (0, node_child_process_1.execFileSync)('umount', [ro]);
    }
});
