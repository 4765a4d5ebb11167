// For resolvers that predate package.json "exports" (node10): the entry is ../compat-write-file-atomic.js.
import entry = require('../compat-write-file-atomic.js')
export = entry
