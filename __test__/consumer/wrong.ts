// A consumer's mistake, with no @ts-expect-error: pack.spec.ts checks that tsc refuses it,
// so the typing test is known to be able to fail.

import { AtomicFile } from 'atomic-publish'

void new AtomicFile('/tmp/v').write({ not: 'data' })
