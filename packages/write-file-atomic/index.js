// write-file-atomic 7's shape and behaviour, from atomic-publish's compatibility entry.
const writeFileAtomic = require('atomic-publish/compat/write-file-atomic')
module.exports = writeFileAtomic
// Spelled out so that `import { sync } from 'write-file-atomic'` finds it, as with the peer.
module.exports.sync = writeFileAtomic.sync
