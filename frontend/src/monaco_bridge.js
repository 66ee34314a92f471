// Loads Monaco's AMD build from our own origin (/vs) on first use and wraps one editor.
// Every method of the returned object waits until Monaco has loaded, so Rust can call it at once.

let monacoPromise = null;

function loadMonaco() {
  if (window.monaco) return Promise.resolve(window.monaco);
  if (!monacoPromise) {
    monacoPromise = new Promise((resolve, reject) => {
      window.MonacoEnvironment = {
        // Our bootstrap (public/monaco-worker.js) keeps the worker's loader from probing eval,
        // which the CSP forbids.
        getWorkerUrl: () => '/monaco-worker.js',
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
  let highlights = [];
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
    // Performance marks let the browser suite measure keystroke-to-marker latency.
    editor.onKeyDown(() => performance.mark('cavra-keydown'));
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
        performance.mark('cavra-markers');
        if (performance.getEntriesByName('cavra-keydown', 'mark').length > 0) {
          performance.measure('cavra-keystroke-to-marker', 'cavra-keydown', 'cavra-markers');
        }
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
    // Highlights the matched pattern (a JSON range, or '' to clear) and scrolls it into view.
    highlight(json) {
      ready.then(({ monaco, editor }) => {
        const range = json ? JSON.parse(json) : null;
        const decorations = range
          ? [{ range, options: { inlineClassName: 'matched-pattern', className: 'matched-pattern-line', isWholeLine: false, hoverMessage: { value: 'Matched pattern' } } }]
          : [];
        highlights = editor.deltaDecorations(highlights, decorations);
        element.dataset.highlight = range ? `${range.startLineNumber}:${range.startColumn}-${range.endColumn}` : '';
        if (range) editor.revealRangeInCenterIfOutsideViewport(range);
      });
    },
    // Ctrl+S / Cmd+S inside the editor.
    onSave(callback) {
      ready.then(({ monaco, editor }) => {
        editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => callback());
      });
    },
  };
}

// A read-only side-by-side diff editor.
export function createDiffEditor(element, original, modified, language) {
  const ready = loadMonaco().then((monaco) => {
    element.querySelectorAll('.editor-fallback').forEach((node) => node.remove());
    const editor = monaco.editor.createDiffEditor(element, {
      automaticLayout: true,
      readOnly: true,
      originalEditable: false,
      renderSideBySide: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
    });
    const models = {
      original: monaco.editor.createModel(original, language),
      modified: monaco.editor.createModel(modified, language),
    };
    editor.setModel(models);
    editor.onDidUpdateDiff(() => {
      element.dataset.diffChanges = String((editor.getLineChanges() ?? []).length);
    });
    element.dataset.editorReady = 'true';
    return { monaco, editor, models };
  });
  ready.catch((error) => {
    element.dataset.editorError = String(error);
    console.error('diff editor failed to load', error);
  });
  return {
    setTexts(original, modified) {
      ready.then(({ models }) => {
        if (models.original.getValue() !== original) models.original.setValue(original);
        if (models.modified.getValue() !== modified) models.modified.setValue(modified);
      });
    },
  };
}
