// For resolvers that predate package.json "exports" (node10): the entry is ../compat-atomically.js.
import entry = require('../compat-atomically.js')
export = entry
