// Inside the Shopify admin: the chrome is App Bridge's (https://cdn.shopify.com/shopifycloud/app-bridge.js).
// It reads the templates' <ui-title-bar>, <ui-save-bar> and <ui-modal> and draws them in the admin;
// clicking one of their buttons there clicks the element in our page.

const parked = new WeakMap(); // title bar -> {actions in template order, a hidden holder for the hidden ones}

export function init() {}

/** App Bridge shows every child of a title bar: keep hidden actions out of it, in a hidden holder. */
export function syncTitleBar(bar) {
  if (!parked.has(bar)) {
    const holder = document.createElement("div");
    holder.hidden = true;
    bar.after(holder);
    parked.set(bar, { actions: [...bar.children], holder });
  }
  const { actions, holder } = parked.get(bar);
  const visible = actions.filter((action) => !action.hidden);
  const same = visible.length === bar.children.length && visible.every((action, index) => bar.children[index] === action);
  if (same) return; // every change redraws the admin's title bar: only when there is one
  holder.append(...actions.filter((action) => action.hidden));
  bar.append(...visible);
}

export function openModal(modal, { title }) {
  const bar = modal.querySelector("ui-title-bar");
  if (title) bar.setAttribute("title", title);
  const primary = bar.querySelector('[variant="primary"]');
  return new Promise((resolve) => {
    let answered = false;
    const finish = (value) => {
      if (answered) return;
      answered = true;
      bar.removeEventListener("click", onClick);
      modal.removeEventListener("hide", onHide);
      window.shopify.modal.hide(modal.id);
      resolve(value);
    };
    const onClick = (event) => {
      const button = event.target.closest("button");
      if (button) finish(button === primary);
    };
    const onHide = () => finish(false); // closed with the admin's × or Escape
    bar.addEventListener("click", onClick);
    modal.addEventListener("hide", onHide);
    window.shopify.modal.show(modal.id);
  });
}

export const showSaveBar = (bar) => window.shopify.saveBar.show(bar.id);
export const hideSaveBar = (bar) => window.shopify.saveBar.hide(bar.id);

/** Resolves once the merchant agreed to drop the changes (it stays pending when they stay). */
export async function leaveConfirmation() {
  await window.shopify.saveBar.leaveConfirmation();
  return true;
}

export function toast(message, { error }) {
  window.shopify.toast.show(message, { isError: error });
}
