import writeFile = require('atomic-publish/compat')
export = writeFile
