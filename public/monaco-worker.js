// Monaco's editor worker, started under our Content-Security-Policy (no 'unsafe-eval').
// Monaco's AMD loader first probes whether it may `eval` fetched modules and falls back to
// importScripts; the probe itself is a CSP violation. Its documented hook for a Trusted Types
// policy lets us answer the probe without evaluating anything: `createScript` refuses, so the
// loader goes straight to importScripts of our own /vs files.
self.MonacoEnvironment = {
  baseUrl: '/',
  createTrustedTypesPolicy: (_name, rules) => ({
    createScriptURL: rules.createScriptURL,
    createScript() {
      throw new Error('eval is not allowed by the CSP; load modules with importScripts');
    },
  }),
};
importScripts('/vs/base/worker/workerMain.js');
