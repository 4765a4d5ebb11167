// For resolvers that predate package.json "exports" (node10): the entry is ../compat-atomically.js.
module.exports = require('../compat-atomically.js')
