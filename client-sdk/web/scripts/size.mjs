// Prints the bundle's minified and gzip sizes: the figure the README and reports quote.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
for (const file of process.argv.slice(2)) {
  const bytes = readFileSync(file);
  console.log(`${file}: ${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} bytes gzip`);
}
