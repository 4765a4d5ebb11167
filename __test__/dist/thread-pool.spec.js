"use strict";
// The async terminals leave the JS thread free (guarantee 6), and what happens meanwhile on
// disk is a scratch named `<basename>.oxentmp.<random>` beside the target (guarantee 4).
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const ava_1 = __importDefault(require("ava"));
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const atomic_publish_1 = require("atomic-publish");
const helpers_js_1 = require("./helpers.js");
const LARGE = 256 * 1024 * 1024;
ava_1.default.serial('a verified 256 MiB write leaves the event loop free while it publishes', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const data = Buffer.alloc(LARGE, 0x5a);
    (0, helpers_js_1.xorshiftBytes)(1 << 20).copy(data, 12_345);
    const expected = (0, atomic_publish_1.xxh3_128)(data);
    let last = performance.now();
    let worstGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
        const now = performance.now();
        worstGap = Math.max(worstGap, now - last);
        last = now;
        ticks++;
    }, 2);
    const started = performance.now();
    last = started;
    const result = await new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'large.bin')).withHash(expected).write(data);
    // The gap up to completion counts too.
    worstGap = Math.max(worstGap, performance.now() - last);
    const took = performance.now() - started;
    clearInterval(timer);
    t.log(`publish took ${took.toFixed(0)} ms; ${ticks} timer ticks; worst gap ${worstGap.toFixed(1)} ms`);
    t.is(result.hash, expected);
    t.is(result.bytes, LARGE);
    t.true(worstGap < 80, `the loop stalled for ${worstGap.toFixed(1)} ms`);
    t.true(took > 4 * worstGap, 'the publish lasted long enough for the measure to mean something');
});
ava_1.default.serial('while a publish is in flight, exactly one <basename>.oxentmp.<random> sits beside the target', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'blob.bin');
    (0, node_fs_1.writeFileSync)(target, 'old');
    const seen = new Set();
    let done = false;
    const publish = new atomic_publish_1.AtomicFile(target)
        .write(Buffer.alloc(64 * 1024 * 1024, 1))
        .finally(() => {
        done = true;
    });
    while (!done) {
        const names = (0, node_fs_1.readdirSync)(dir).filter((n) => n !== 'blob.bin');
        t.true(names.length <= 1, `more than one scratch: ${names.join(', ')}`);
        for (const n of names)
            seen.add(n);
        if (names.length === 1)
            t.is((0, node_fs_1.readFileSync)(target, 'utf8'), 'old', 'target untouched while in flight');
        await new Promise((r) => setImmediate(r));
    }
    await publish;
    t.true(seen.size >= 1, 'the scratch was seen while the publish ran');
    for (const name of seen)
        t.regex(name, /^blob\.bin\.oxentmp\.[A-Za-z0-9]{10}$/);
    t.deepEqual((0, helpers_js_1.namesIn)(dir), ['blob.bin']);
});
