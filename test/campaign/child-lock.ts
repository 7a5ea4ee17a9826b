/**
 * A second writer in a child process, for the writer-lock race test: `node child-lock.js <db>`
 * opens <db> for writing, prints `{"took":true}` or the error's code, and keeps the lock until
 * its stdin closes, so the parent decides when each holder lets go.
 */
import { CampaignStore } from '../../src/campaign/store.js';
import { PrunefiError } from '../../src/core/errors.js';

const [db] = process.argv.slice(2) as [string];
try {
  const store = CampaignStore.open(db);
  console.log(JSON.stringify({ took: true }));
  process.stdin.resume();
  process.stdin.on('end', () => store.close());
} catch (err) {
  console.log(JSON.stringify({ took: false, code: err instanceof PrunefiError ? err.code : String(err) }));
}
