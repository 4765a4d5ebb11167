export default { files: ['.test-build/__test__/security/*.spec.js'], workerThreads: false, timeout: '5m', concurrency: 1 }
