// Loads Monaco's AMD build from our own origin (/vs) on first use and wraps one editor.
// Every method of the returned object waits until Monaco has loaded, so Rust can call it at once.

let monacoPromise = null;

function loadMonaco() {
  if (window.monaco) return Promise.resolve(window.monaco);
  if (!monacoPromise) {
    monacoPromise = new Promise((resolve, reject) => {
      window.MonacoEnvironment = {
        getWorkerUrl: () => '/vs/base/worker/workerMain.js',
      };
      const script = document.createElement('script');
      script.src = '/vs/loader.js';
      script.onload = () => {
        window.require.config({ paths: { vs: '/vs' } });
        window.require(['vs/editor/editor.main'], () => resolve(window.monaco), reject);
      };
      script.onerror = () => reject(new Error('could not load /vs/loader.js'));
      document.head.appendChild(script);
    });
  }
  return monacoPromise;
}

const SEVERITY = { error: 8, warning: 4, info: 2 };

export function createEditor(element, initial, language, onChange) {
  const ready = loadMonaco().then((monaco) => {
    element.querySelectorAll('.editor-fallback').forEach((node) => node.remove());
    const editor = monaco.editor.create(element, {
      value: initial,
      language,
      automaticLayout: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      tabSize: 2,
      insertSpaces: true,
    });
    editor.onDidChangeModelContent(() => onChange(editor.getValue()));
    element.dataset.editorReady = 'true';
    return { monaco, editor };
  });
  ready.catch((error) => {
    element.dataset.editorError = String(error);
    console.error('editor failed to load', error);
  });
  return {
    setMarkers(json) {
      const markers = JSON.parse(json).map((m) => ({
        ...m,
        severity: SEVERITY[m.severity] ?? SEVERITY.info,
        source: 'cavra',
      }));
      ready.then(({ monaco, editor }) => {
        monaco.editor.setModelMarkers(editor.getModel(), 'cavra-lint', markers);
      });
    },
    revealLine(line) {
      ready.then(({ editor }) => {
        editor.revealLineInCenter(line);
        editor.setPosition({ lineNumber: line, column: 1 });
        editor.focus();
      });
    },
    setValue(text) {
      ready.then(({ editor }) => {
        if (editor.getValue() !== text) editor.setValue(text);
      });
    },
  };
}
