// The command map's layers and the warning pages' labels, as the scripts
// use them (window.YJ_LABELS): the words come from the string table
// (i18n/zh.js: registry.*, enum.*); what is kept here is how things are
// drawn — order, marker glyph shape and colour, level colours, which device
// kinds move. Unknown fields and values are shown as they are.
'use strict';

window.YJ_LABELS = (() => {
  const { t } = window.I18N;
  const R = t('registry');
  const E = t('enum');

  // order = order in the layer switcher; shape + colour = the marker (the glyph is in the table)
  const LAYER_STYLE = [
    { name: 'enterprises', color: '#7b1fa2', shape: 'square' },
    { name: 'hazard-sources', color: '#c62828', shape: 'diamond' },
    { name: 'risk-points', color: '#ef6c00', shape: 'circle' },
    { name: 'shelters', color: '#2e7d32', shape: 'circle' },
    { name: 'warehouses', color: '#6d4c41', shape: 'square' },
    { name: 'teams', color: '#1565c0', shape: 'circle' },
    { name: 'cameras', color: '#455a64', shape: 'circle', dense: true },
    { name: 'water-sources', color: '#0097a7', shape: 'circle' },
  ];
  const LAYERS = LAYER_STYLE.map((l) => ({ ...l, label: R.layers[l.name].label, glyph: R.layers[l.name].glyph }));

  // used when GET /api/v1/themes is not available
  const THEMES = [
    { name: 'flood', layers: ['risk-points', 'shelters', 'warehouses', 'teams', 'water-sources'] },
    { name: 'forest_fire', layers: ['risk-points', 'cameras', 'teams', 'water-sources', 'warehouses'] },
    { name: 'hazmat', layers: ['enterprises', 'hazard-sources', 'teams'] },
  ].map((th) => ({ ...th, label: R.themes[th.name] }));

  const LEVEL_COLORS = {
    blue: { color: '#1e88e5', ink: '#fff' },
    yellow: { color: '#fdd835', ink: '#3e2f00' },
    orange: { color: '#fb8c00', ink: '#fff' },
    red: { color: '#e53935', ink: '#fff' },
  };

  // warnings (预警) and the closed loop (闭环)
  const WARN = {
    LEVELS: Object.fromEntries(Object.entries(LEVEL_COLORS).map(([k, c]) => [k, { ...E.level[k], ...c }])),
    TYPES: E.warning_type,
    STATES: E.warning_state,
    ACTIONS: E.warning_action,
    RECIPIENT: E.recipient_state,
    TASK: E.task_state,
    SOURCES: E.warning_source,
  };

  // live positions (实时位置, positions.js): device kinds, their marker colour;
  // "moving" kinds are the ones drawn on the positions layer
  const KIND_STYLE = {
    fishing_vessel: { color: '#0277bd', moving: true },
    cargo_vessel: { color: '#283593', moving: true },
    bus: { color: '#00897b', moving: true },
    coach: { color: '#6a1b9a', moving: true },
    hazmat_vehicle: { color: '#d84315', moving: true },
    heavy_truck: { color: '#5d4037', moving: true },
    ranger: { color: '#2e7d32', moving: true },
    other: { color: '#546e7a', moving: true },
    rain_gauge: { color: '#607d8b' },
    water_level: { color: '#607d8b' },
    wind: { color: '#607d8b' },
    gas: { color: '#607d8b' },
    tank_level: { color: '#607d8b' },
    temperature: { color: '#607d8b' },
    pressure: { color: '#607d8b' },
  };
  const DEVICE_KINDS = Object.fromEntries(Object.entries(KIND_STYLE).map(([k, s]) => [k, { ...s, label: E.device_kind[k] || k }]));

  return {
    LAYERS, THEMES, COMMON: R.common, FIELDS: R.fields, VALUES: R.values, LEVEL_VALUES: R.level_values,
    ROLES: E.role, UNITS: R.units, WARN, DEVICE_KINDS, ALARM_STATES: E.alarm_state,
  };
})();
