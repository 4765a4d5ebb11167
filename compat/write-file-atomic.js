// For resolvers that predate package.json "exports" (node10): the entry is ../compat-write-file-atomic.js.
module.exports = require('../compat-write-file-atomic.js')
