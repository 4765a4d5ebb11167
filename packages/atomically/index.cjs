// atomically 2's named exports, from atomic-publish's compatibility entry (for require()).
const { readFile, readFileSync, writeFile, writeFileSync } = require('atomic-publish/compat')
module.exports = { readFile, readFileSync, writeFile, writeFileSync }
