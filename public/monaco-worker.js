// Monaco's editor worker, started under our Content-Security-Policy (no 'unsafe-eval').
// Whenever the worker loads a module it has not bundled (a language service), Monaco's AMD
// loader first probes whether it may `eval` fetched code and falls back to importScripts; the
// probe itself would be a CSP violation. Its hook for a Trusted Types policy lets us answer the
// probe without evaluating anything: `createScript` refuses, so the loader goes straight to
// importScripts of our own /vs files.

// A violation inside a worker fires only on the worker, where neither the page nor its
// developer tools' page console see it: say it on the console, as the page's own are.
self.addEventListener('securitypolicyviolation', (event) => {
  console.error(`Content Security Policy violation in the editor worker: ${event.effectiveDirective} blocked ${event.blockedURI || 'an inline script or eval'}`);
});

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
