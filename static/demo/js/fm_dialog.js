// The file manager's one dialog (a question, optionally with a text field that is checked before it closes) and
// its status area (what is happening, a progress bar, and what did and did not work).
const { gettext } = window;

export class Dialog {
  constructor(node) {
    this.node = node;
    this.title = node.querySelector('#fm-dialog-title');
    this.text = node.querySelector('.fm-dialog-text');
    this.field = node.querySelector('.fm-dialog-field');
    this.label = node.querySelector('.fm-dialog-label');
    this.input = node.querySelector('input[name=value]');
    this.error = node.querySelector('.fm-dialog-error');
    this.ok = node.querySelector('[data-action=ok]');
    node.querySelector('[data-action=cancel]').addEventListener('click', () => node.close(''));
  }

  // Resolves with the field's value (or true without a field) when confirmed, null when cancelled.
  // `check(value)` returns an error message to keep the dialog open, or '' to accept.
  ask({ title, text = '', label = '', value = null, okLabel, danger = false, check = () => '' }) {
    const { node } = this;
    this.title.textContent = title;
    this.text.textContent = text;
    this.text.hidden = !text;
    this.field.hidden = value === null;
    this.label.textContent = label;
    this.input.value = value === null ? '' : value;
    this.error.hidden = true;
    this.ok.textContent = okLabel || gettext('OK');
    this.ok.classList.toggle('contrast', danger);
    node.returnValue = '';
    return new Promise((resolve) => {
      const form = node.querySelector('form');
      const onSubmit = (event) => {
        const problem = value === null ? '' : check(this.input.value);
        if (problem) {
          event.preventDefault();
          this.error.textContent = problem;
          this.error.hidden = false;
          this.input.focus();
        }
      };
      form.addEventListener('submit', onSubmit);
      node.addEventListener('close', () => {
        form.removeEventListener('submit', onSubmit);
        if (node.returnValue !== 'ok') resolve(null);
        else resolve(value === null ? true : this.input.value);
      }, { once: true });
      node.showModal();
      if (value !== null) {
        this.input.focus();
        this.input.select();
      }
    });
  }
}

export class Status {
  constructor(node) {
    this.node = node;
    this.text = node.querySelector('.fm-status-text');
    this.bar = node.querySelector('.fm-progress');
    this.list = node.querySelector('.fm-status-list');
  }

  // Forget the last action's outcome (a new one is starting).
  clear() {
    this.node.hidden = true;
    this.node.removeAttribute('data-state');
    this.text.textContent = '';
    this.progress(0, 0);
    this.details([]);
  }

  show(text, state = 'working') {
    this.node.hidden = false;
    this.node.setAttribute('data-state', state);
    this.text.textContent = text;
  }

  progress(done, total) {
    this.bar.hidden = !total;
    this.bar.max = total || 1;
    this.bar.value = done;
  }

  // Rows of [key, what happened, state] (state: "done", "failed" or "kept").
  details(rows) {
    this.list.replaceChildren(...rows.map(([key, what, state]) => {
      const li = document.createElement('li');
      li.setAttribute('data-key', key);
      li.setAttribute('data-state', state);
      const name = document.createElement('code');
      name.textContent = key;
      li.append(name, ' ', what);
      return li;
    }));
  }
}
