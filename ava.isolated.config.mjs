// Timing- and memory-sensitive tests (event-loop stalls, RSS), run after the main suite with nothing beside them:
// on a small machine, other test files running in parallel stall the loop on their own.
export default {
  files: ['.test-build/__test__/isolated/*.spec.js'],
  workerThreads: false,
  concurrency: 1,
  serial: true,
  timeout: '10m',
}
