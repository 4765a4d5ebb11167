// write-file-atomic 7's shape (a function with .sync), from atomic-publish's compatibility entry.
module.exports = require('atomic-publish/compat')
