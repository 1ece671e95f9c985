// api.html — the API description (GET /api/v1/openapi.json, OpenAPI 3.1,
// generated from the server's route table) rendered by swagger-ui, which
// is served from /vendor like leaflet (no CDN, no online validator). The
// document needs a signed-in user: the session cookie goes with every
// request of the page (same origin), so a visitor who is not signed in is
// sent to the sign-in page and back. "Try it out" sends GET requests only.
// Plain browser JavaScript, no build step.
'use strict';

(async () => {
  const { api, $, t, toLogin, showWho, errorText } = window.YJ;
  const status = $('#apidoc-status');
  let me;
  try {
    me = await api('GET', '/api/v1/me');
  } catch (e) {
    if (e.status === 401) { toLogin(); return; }
    status.textContent = t('common.cannot_load_msg', { msg: errorText(e) });
    return;
  }
  showWho(me);
  window.ui = window.SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null,            // offline: never ask an online validator
    supportedSubmitMethods: ['get'],
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    tagsSorter: 'alpha',
    requestInterceptor: (req) => { req.credentials = 'same-origin'; return req; },
    onComplete: () => { status.textContent = ''; },
  });
})();
