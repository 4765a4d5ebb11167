// write-file-atomic 7's shape and behaviour, from atomic-publish's compatibility entry.
module.exports = require('atomic-publish/compat/write-file-atomic')
