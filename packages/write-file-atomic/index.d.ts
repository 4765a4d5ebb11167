import writeFile = require('atomic-publish/compat/write-file-atomic')
export = writeFile
