// A consumer's ESM mistake, with no @ts-expect-error: the package has named exports only,
// so a default import must not compile (at run time it is a SyntaxError). types.spec.ts and
// pack.spec.ts check that tsc refuses it.

import ap from 'atomic-publish'

void new ap.AtomicFile('/tmp/x').write('x')
