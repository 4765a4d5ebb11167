"use strict";
// Bad input: every builder and terminal rejects it at once with a Node-style code, and
// nothing on disk changes.
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const ava_1 = __importDefault(require("ava"));
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const atomic_publish_1 = require("atomic-publish");
const helpers_js_1 = require("./helpers.js");
// The casts below are the point: these are calls TypeScript would refuse.
const loose = (f) => f;
function rejectsAtOnce(t, code, call, label) {
    const err = t.throws(call, { instanceOf: TypeError }, label);
    t.is(err?.code, code, label);
}
(0, ava_1.default)('bad targets throw from the constructor', (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const before = (0, helpers_js_1.snapshot)(dir);
    const make = loose((x) => new atomic_publish_1.AtomicFile(x));
    const cases = [
        [42, 'ERR_INVALID_ARG_TYPE'],
        [null, 'ERR_INVALID_ARG_TYPE'],
        [undefined, 'ERR_INVALID_ARG_TYPE'],
        [{ path: 'x' }, 'ERR_INVALID_ARG_TYPE'],
        ['', 'ERR_INVALID_ARG_VALUE'],
        [(0, node_path_1.join)(dir, 'a\u0000b'), 'ERR_INVALID_ARG_VALUE'],
        [`${dir}/sub/`, 'ERR_INVALID_ARG_VALUE'],
        [`${dir}/.`, 'ERR_INVALID_ARG_VALUE'],
        [`${dir}/..`, 'ERR_INVALID_ARG_VALUE'],
        ['/', 'ERR_INVALID_ARG_VALUE'],
        [new URL('https://example.com/x'), 'ERR_INVALID_ARG_VALUE'],
    ];
    for (const [value, code] of cases)
        rejectsAtOnce(t, code, () => make(value), `target ${String(value)}`);
    t.deepEqual((0, helpers_js_1.snapshot)(dir), before);
});
(0, ava_1.default)('bad builder arguments throw at once and touch nothing', (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    (0, node_fs_1.writeFileSync)((0, node_path_1.join)(dir, 'existing'), 'old');
    const before = (0, helpers_js_1.snapshot)(dir);
    const file = new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'existing'));
    const cases = [
        ['withHash', 42, 'ERR_INVALID_ARG_TYPE'],
        ['withHash', null, 'ERR_INVALID_ARG_TYPE'],
        ['withHash', '', 'ERR_INVALID_ARG_VALUE'],
        ['withHash', 'g'.repeat(32), 'ERR_INVALID_ARG_VALUE'],
        ['withHash', '0'.repeat(33), 'ERR_INVALID_ARG_VALUE'],
        ['withHash', '0x1234', 'ERR_INVALID_ARG_VALUE'],
        ['withHash', ' abc', 'ERR_INVALID_ARG_VALUE'],
        ['withHash', -1n, 'ERR_INVALID_ARG_VALUE'],
        ['withHash', 1n << 128n, 'ERR_INVALID_ARG_VALUE'],
        ['withMtime', '2024-01-01', 'ERR_INVALID_ARG_TYPE'],
        ['withMtime', null, 'ERR_INVALID_ARG_TYPE'],
        ['withMtime', Number.NaN, 'ERR_INVALID_ARG_VALUE'],
        ['withMtime', Number.POSITIVE_INFINITY, 'ERR_INVALID_ARG_VALUE'],
        ['withMtime', 8.64e15 + 1, 'ERR_INVALID_ARG_VALUE'],
        ['withMtime', new Date(Number.NaN), 'ERR_INVALID_ARG_VALUE'],
        ['withMtime', 8640000000000000000001n, 'ERR_INVALID_ARG_VALUE'],
        ['withMode', '755', 'ERR_INVALID_ARG_TYPE'],
        ['withMode', -1, 'ERR_INVALID_ARG_VALUE'],
        ['withMode', 0o10000, 'ERR_INVALID_ARG_VALUE'],
        ['withMode', 1.5, 'ERR_INVALID_ARG_VALUE'],
        ['withMode', Number.NaN, 'ERR_INVALID_ARG_VALUE'],
        ['withFsync', 'yes', 'ERR_INVALID_ARG_TYPE'],
        ['withFsync', 1, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [method, value, code] of cases) {
        const call = loose(file[method].bind(file));
        rejectsAtOnce(t, code, () => call(value), `${method}(${String(value)})`);
    }
    t.deepEqual((0, helpers_js_1.snapshot)(dir), before);
});
(0, ava_1.default)('bad data rejects write, throws from writeSync, and touches nothing', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    (0, node_fs_1.writeFileSync)((0, node_path_1.join)(dir, 'existing'), 'old');
    const before = (0, helpers_js_1.snapshot)(dir);
    const file = new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'existing'));
    for (const bad of [42, null, undefined, {}, [1, 2], new ArrayBuffer(4), Symbol('s')]) {
        const err = await t.throwsAsync(loose(file.write.bind(file))(bad), { instanceOf: TypeError });
        t.is(err?.code, 'ERR_INVALID_ARG_TYPE');
        rejectsAtOnce(t, 'ERR_INVALID_ARG_TYPE', () => loose(file.writeSync.bind(file))(bad), `writeSync(${String(bad)})`);
    }
    t.deepEqual((0, helpers_js_1.snapshot)(dir), before);
});
(0, ava_1.default)('bad sources reject copyFrom, throw from copyFromSync, and touch nothing', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const before = (0, helpers_js_1.snapshot)(dir);
    const file = new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'dst'));
    for (const [bad, code] of [[42, 'ERR_INVALID_ARG_TYPE'], ['', 'ERR_INVALID_ARG_VALUE'], ['a\u0000', 'ERR_INVALID_ARG_VALUE']]) {
        const err = await t.throwsAsync(loose(file.copyFrom.bind(file))(bad));
        t.is(err?.code, code);
        rejectsAtOnce(t, code, () => loose(file.copyFromSync.bind(file))(bad), `copyFromSync(${String(bad)})`);
    }
    t.deepEqual((0, helpers_js_1.snapshot)(dir), before);
});
(0, ava_1.default)('the hashing functions reject bad input with Node codes', async (t) => {
    rejectsAtOnce(t, 'ERR_INVALID_ARG_TYPE', () => loose(atomic_publish_1.xxh3_128)(42), 'xxh3_128(42)');
    rejectsAtOnce(t, 'ERR_INVALID_ARG_TYPE', () => loose(atomic_publish_1.xxh3_128)(undefined), 'xxh3_128()');
    rejectsAtOnce(t, 'ERR_INVALID_ARG_TYPE', () => loose(atomic_publish_1.hashFileSync)(null), 'hashFileSync(null)');
    rejectsAtOnce(t, 'ERR_INVALID_ARG_VALUE', () => loose(atomic_publish_1.hashFileSync)(''), "hashFileSync('')");
    const err = await t.throwsAsync(loose(atomic_publish_1.hashFile)(7));
    t.is(err?.code, 'ERR_INVALID_ARG_TYPE');
    const hasher = (0, atomic_publish_1.createHasher)();
    rejectsAtOnce(t, 'ERR_INVALID_ARG_TYPE', () => loose(hasher.update.bind(hasher))({}), 'update({})');
});
(0, ava_1.default)('argument errors read like Node’s own', (t) => {
    const err = t.throws(() => new atomic_publish_1.AtomicFile(42));
    t.is(err?.message, 'The "target" argument must be of type string or an instance of Buffer or URL. Received type number (42)');
});
