// @ts-check
// Electron utility process: run the check and send the result to the main process.
'use strict'
const { publishCheck } = require('./publish-check.js')

publishCheck('utility').then((result) => {
  process.parentPort.postMessage(result)
})
