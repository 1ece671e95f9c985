// Site configuration of the web UI (edit on the server; no build step).
//   tileUrl: an optional raster tile URL template for the base map, e.g. a
//            tile server inside the bureau's network:
//            'https://tiles.example.gov.cn/{z}/{x}/{y}.png'
//            null = offline base: the area boundaries only (no requests out).
//   tileAttribution: the attribution text shown for those tiles.
//   tileMaxZoom: the deepest zoom level the tile server has.
window.YINGJI_CONFIG = {
  tileUrl: null,
  tileAttribution: '',
  tileMaxZoom: 18,
};
