// A test double of App Bridge, served by the browser tests in place of
// https://cdn.shopify.com/shopifycloud/app-bridge.js (tests/embedded_support.py). It implements what
// the app uses — shopify.idToken(), toast, modal, saveBar, and the ui-* elements, which App Bridge
// draws in the admin and hides in the app's frame — and records every call in window.__appBridge,
// whose helpers let a test click what the admin would show (title bar, modal and save bar buttons).
(() => {
  const TOKEN_URL = "https://app-bridge.test/id-token"; // answered by the test: a fresh signed session token
  const calls = [];
  const openModals = new Set();
  const shownSaveBars = new Set();
  let leaving = null; // the resolver of a pending leaveConfirmation()
  let picks = []; // what the next resourcePicker() answers (set by the test: the merchant's choice)
  const record = (name, detail = {}) => calls.push({ name, ...detail });

  class HiddenInFrame extends HTMLElement {
    connectedCallback() {
      this.style.display = "none"; // App Bridge draws these in the admin, not in the app's frame
    }
  }
  for (const name of ["ui-title-bar", "ui-nav-menu", "ui-save-bar"]) customElements.define(name, class extends HiddenInFrame {});
  customElements.define("ui-modal", class extends HiddenInFrame {
    show() { return window.shopify.modal.show(this.id); }
    hide() { return window.shopify.modal.hide(this.id); }
  });

  const element = (id) => {
    const found = document.getElementById(id);
    if (!found) throw new Error(`App Bridge double: no element #${id}`);
    return found;
  };
  const label = (node) => node.textContent.trim();
  const actions = (bar) => [...bar.children].filter((node) => node.matches("button, a")).map((node) => ({
    label: label(node), variant: node.getAttribute("variant") || "secondary", tone: node.getAttribute("tone") || "default",
    disabled: node.hasAttribute("disabled"),
  }));
  const pageTitleBar = () => [...document.querySelectorAll("ui-title-bar")].find((bar) => !bar.closest("ui-modal"));
  const click = (root, text) => {
    const target = [...root.querySelectorAll("button, a")].find((node) => label(node) === text && root.contains(node));
    if (!target) throw new Error(`App Bridge double: no "${text}" in ${root.tagName.toLowerCase()}#${root.id}`);
    target.click(); // what App Bridge does when the merchant clicks the admin's copy of the button
  };

  window.shopify = {
    config: {
      apiKey: (document.querySelector('meta[name="shopify-api-key"]') || {}).content,
      shop: new URLSearchParams(window.location.search).get("shop"),
    },
    async idToken() {
      record("idToken");
      const response = await fetch(TOKEN_URL, { cache: "no-store" });
      return (await response.json()).token;
    },
    async resourcePicker(options = {}) {
      record("resourcePicker", { type: options.type, multiple: options.multiple !== false });
      const chosen = picks;
      picks = [];
      return chosen.length ? chosen : undefined; // App Bridge answers undefined when cancelled
    },
    toast: {
      show(message, options = {}) {
        record("toast.show", { message, isError: Boolean(options.isError) });
      },
    },
    modal: {
      async show(id) {
        const bar = element(id).querySelector("ui-title-bar");
        openModals.add(id);
        record("modal.show", { id, title: bar ? bar.getAttribute("title") : null, actions: bar ? actions(bar) : [] });
      },
      async hide(id) {
        if (!openModals.delete(id)) return;
        record("modal.hide", { id });
        element(id).dispatchEvent(new Event("hide"));
      },
    },
    saveBar: {
      async show(id) {
        element(id);
        shownSaveBars.add(id);
        record("saveBar.show", { id });
      },
      async hide(id) {
        shownSaveBars.delete(id);
        record("saveBar.hide", { id });
      },
      leaveConfirmation() {
        record("saveBar.leaveConfirmation");
        if (!shownSaveBars.size) return Promise.resolve();
        return new Promise((resolve) => { leaving = resolve; }); // the merchant chooses in the admin
      },
    },
  };

  window.__appBridge = {
    calls,
    names: () => calls.map((call) => call.name),
    openModals: () => [...openModals],
    shownSaveBars: () => [...shownSaveBars],
    /** The page's title bar as the admin would draw it: its title and the actions it shows. */
    titleBar() {
      const bar = pageTitleBar();
      return bar ? { title: bar.getAttribute("title"), actions: actions(bar) } : null;
    },
    clickTitleBar: (text) => click(pageTitleBar(), text),
    clickModal(id, text) {
      if (!openModals.has(id)) throw new Error(`App Bridge double: modal #${id} is not open`);
      click(element(id).querySelector("ui-title-bar"), text);
    },
    closeModal: (id) => window.shopify.modal.hide(id), // the admin's × or Escape
    clickSaveBar(id, which) {
      if (!shownSaveBars.has(id)) throw new Error(`App Bridge double: save bar #${id} is not shown`);
      const bar = element(id);
      const primary = which === "save";
      const button = [...bar.querySelectorAll("button")].find((node) => (node.getAttribute("variant") === "primary") === primary);
      button.click();
    },
    /** The variants the merchant will choose in the next resource picker: [{id, displayName, sku}]. */
    pickNext(variants) {
      picks = variants;
    },
    confirmLeave() {
      if (leaving) leaving();
      leaving = null;
    },
  };

  // The session-token bounce page: App Bridge reloads the target with a fresh id_token.
  const reload = new URLSearchParams(window.location.search).get("shopify-reload");
  if (reload) {
    window.shopify.idToken().then((token) => {
      const target = new URL(reload, window.location.origin);
      target.searchParams.set("id_token", token);
      window.location.replace(target.href);
    });
  }
})();
