// atomically 2's named exports and behaviour, from atomic-publish's compatibility entry (for require()).
const { readFile, readFileSync, writeFile, writeFileSync } = require('atomic-publish/compat/atomically')
module.exports = { readFile, readFileSync, writeFile, writeFileSync }
