// The Fn Project Node FDK ships no types; this is the part we use.
declare module '@fnproject/fdk' {
  interface FdkOptions {
    inputMode?: 'json' | 'string' | 'buffer';
  }
  type FdkHandler = (input: never, ctx: never) => unknown;
  const fdk: {
    handle(handler: FdkHandler, options?: FdkOptions): () => void;
  };
  export default fdk;
}
