/* The space's routes (docs/protocol.md §13.1): every request a JSON POST with the key in its
 * body, never in the URL, without cookies. Answers {status, body}; status 0 is no connection. */
export async function post(path, body) {
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "omit",
      cache: "no-store",
      body: JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch {
      /* not JSON: a proxy's error page */
    }
    return { status: response.status, body: data };
  } catch {
    return { status: 0, body: null };
  }
}

export const errorCode = (answer) => (answer.body && answer.body.error && answer.body.error.code) || null;
