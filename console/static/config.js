/* The page's start data, rendered by the server into <script type="application/json"
 * id="config">: a data block the browser never executes, so the CSP needs no inline script.
 * Read once here; every other module imports what it needs from it.
 */
export const config = JSON.parse(document.getElementById("config").textContent);
export const { me, lang } = config;
