// `node --import tsx --import ./test/helpers/ogrt-alias.mjs ...`: makes `import 'ogrt'`
// resolve to this checkout's src/index.ts (run by tsx), as `npm link ogrt`
// would to an installed server. Used to run the examples' own tests from
// the repository, where 'ogrt' would otherwise self-resolve to an unbuilt dist/.
import { register } from 'node:module';

register('./ogrt-alias-hooks.mjs', import.meta.url);
