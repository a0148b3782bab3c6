// The OCI Function entry (Fn Project Node FDK, http-stream over a unix socket). `npm run build:fn`
// bundles this file with everything it needs into dist/starter-fn/func.js.
import fdk from '@fnproject/fdk';
import { invoke, type FnContext } from './invoke.js';

fdk.handle((input: unknown, ctx: FnContext) => invoke(input, ctx), { inputMode: 'json' });
