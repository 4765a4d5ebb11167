"use strict";
// The package loads from ESM and from CommonJS with the same exports.
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const ava_1 = __importDefault(require("ava"));
const EXPORTS = ['AbortError', 'AtomicFile', 'HashMismatchError', 'createHasher', 'hashFile', 'hashFileSync', 'xxh3_128'];
(0, ava_1.default)('ESM and CommonJS expose the same API', async (t) => {
    const cjs = require('atomic-publish');
    const esm = (await import('atomic-publish'));
    t.deepEqual(Object.keys(cjs).sort(), EXPORTS);
    t.deepEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), EXPORTS);
    for (const name of EXPORTS)
        t.is(esm[name], cjs[name], name);
});
