// A throwaway npm registry for the release rehearsal: Verdaccio on 127.0.0.1, its storage, users
// and log in one temporary folder. The project's own packages are served from that storage only
// (never proxied), so an install proves what was published here; every other package (signal-exit,
// conf…) comes through from the npm registry.

import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/**
 * Starts Verdaccio (the `verdaccio` bin given) with its state in `dir`; resolves once it answers.
 * Returns { url, token, npmrc, stop }: `npmrc` is a user config with the registry and a token.
 */
export async function startRegistry(verdaccioBin, dir, ownPackages) {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  const own = ownPackages.map((name) => `  '${name}':\n    access: $all\n    publish: $authenticated\n`).join('')
  const config = join(dir, 'config.yaml')
  writeFileSync(config, `storage: ${join(dir, 'storage')}
auth:
  htpasswd:
    file: ${join(dir, 'htpasswd')}
    max_users: 10
uplinks:
  npmjs:
    url: https://registry.npmjs.org/
    timeout: 60s
packages:
${own}  '**':
    access: $all
    publish: $authenticated
    proxy: npmjs
max_body_size: 200mb
log: { type: file, path: ${join(dir, 'verdaccio.log')}, level: warn }
`)
  const child = spawn(process.execPath, [verdaccioBin, '--config', config, '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' })
  let exited = null
  child.once('exit', (code) => (exited = code))
  const stop = () => new Promise((resolve) => (exited !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM'))))
  try {
    for (let tries = 0; ; tries++) {
      if (exited !== null) throw new Error(`verdaccio exited (${exited}) before it answered; see ${join(dir, 'verdaccio.log')}`)
      try {
        if ((await fetch(`${url}-/ping`)).ok) break
      } catch {
        // not listening yet
      }
      if (tries > 120) throw new Error('verdaccio did not answer within 60 s')
      await new Promise((r) => setTimeout(r, 500))
    }
    // A user, as `npm adduser` makes one: the answer carries the token publishes use.
    const res = await fetch(`${url}-/user/org.couchdb.user:rehearsal`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rehearsal', password: 'rehearsal-password', email: 'rehearsal@localhost', type: 'user', roles: [], date: new Date().toISOString() }),
    })
    const { token } = await res.json()
    if (!token) throw new Error(`verdaccio made no user: HTTP ${res.status}`)
    const npmrc = join(dir, 'npmrc')
    writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`)
    return { url, token, npmrc, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
