// English (partial; chosen with ?lang=en): what is missing here is shown in
// Chinese (i18n.js merges this table over zh.js). Same keys as zh.js.
'use strict';

window.YJ_STRINGS = window.YJ_STRINGS || {};
window.YJ_STRINGS.en = {
  app: { name: 'Emergency Management Information System', title: '{page} · Emergency Management' },
  common: {
    loading: 'Loading…', close: 'Close', cancel: 'Cancel', logout: 'Sign out', remove: 'Remove', expand: 'Expand',
    no: 'No', live: '● live', reconnecting: '○ reconnecting', live_title: 'Live updates',
    load_failed: 'Could not load: {msg}', cannot_load: 'Could not load', cannot_load_msg: 'Could not load: {msg}',
    cannot_connect: 'Cannot reach the server: {msg}', network_down: 'Network unavailable', list_sep: ', ', no_permission: 'Not permitted',
  },
  time: {
    seconds: '{n} s', minutes: '{n} min', hours: '{n} h', just_now: 'just now',
    minutes_ago: '{n} min ago', hours_ago: '{n} h ago', days_ago: '{n} days ago',
  },
  unit: { tonnes: '{n} t', knots: '{n} kn', yuan: '{n} yuan', families: '{n}' },
  who: { title: 'Signed in: {all}' },
  nav: {
    map: 'Command map', warnings: 'Warnings', warnings_read: 'Warnings', enforce: 'Enforcement',
    publicity_ext: 'Publicity ↗', publicity_ext_full: 'Publicity ↗', staff_login: 'Staff sign-in',
  },
  login: {
    title: 'Emergency Management Information System', sub: 'Emergency Management Bureau · staff sign-in',
    username: 'Username', password: 'Password', submit: 'Sign in',
    wrong: 'Wrong username or password', throttled: 'Too many failed sign-ins: try again in {wait}',
    throttled_nowait: 'Too many failed sign-ins: try again later', publicity: 'Enforcement publicity (no sign-in)',
  },
  map: {
    brand: 'Command · community map', themes_aria: 'Themes', theme_all: 'All', theme_all_title: 'All layers',
    theme_status: 'Theme: {name}', search_placeholder: 'Search by name…', search_aria: 'Search',
    search_pick_layer: 'Select a layer first', search_first: ' (first 8 only)', search_none: 'No “{q}” in the selected layers',
    layers_title: 'Layers', layers_note: 'counts are for the current map view', area_only: 'Current area only', areas_title: 'Areas',
    map_aria: 'Map', attribution: 'Boundaries: DataV.GeoAtlas; town boundaries approximate', zoom_in: 'Zoom in', zoom_out: 'Zoom out',
    area_approx: 'Approximate boundary', area_tip: '{name} · click to open', area_tip_approx: '{name} (approximate) · click to open',
    special: 'special', layer_denied: 'Not permitted to see this layer', count_view: 'Number in the current map view (not the registry total)',
    count_truncated: 'Over the limit, partly shown: zoom in', status_loading: 'Loading…', status_view: 'In view',
    status_none: 'No layer selected', detail_aria: 'Detail', detail_close: 'Close', nearby: 'Nearby', nearby_radius_aria: 'Radius',
    nearby_hint: 'Shelters · rescue teams · warehouses', nearby_loading: 'Searching…', nearby_failed: 'Nearby search failed: {msg}',
    nearby_none: 'No shelter, team or warehouse within {dist}', nearby_summary: 'Within {dist}: {counts}',
    ref_enterprise: 'Enterprise #{id}', ref_shelter: 'Shelter #{id}', shelter_capacity: '{name} ({n} persons)',
    grid_worker_user: '{who} (user #{id})', grid_worker_id: 'Grid worker · user #{id}',
    stream_hint: 'Live stream: open it in the video platform or a player', lonlat: 'Coordinates (lon, lat)',
  },
  loopmap: {
    title: 'Warning loop', select_aria: 'Choose a warning', none: '— none —', group_aria: 'Group by', by_town: 'Towns',
    by_village: 'Villages', console: 'Loop details →', legend_title: 'Loop · acknowledged ', legend_none: 'Nobody acknowledged',
    legend_closed: 'Closed (all acknowledged, tasks done)', legend_tasks: 'Transfer task (colour = moved / planned)',
  },
  positions: { layer: 'Live positions', alarms: 'Alarms', count_view: 'Number in the current map view', alarms_count: 'Open alarms (all areas)' },
  alarm: { default_title: 'Alarm', device_link: 'Device {id} · track →', device: 'device' },
  error: {
    code: {
      invalid_argument: 'Something entered is not valid', unauthenticated: 'Not signed in or the session expired: sign in again',
      permission_denied: 'You are not permitted to do this', not_found: 'Not found (or deleted)', conflict: 'This conflicts with the current state: reload and try again',
      payload_too_large: 'Too large', unprocessable: 'The data has problems: see below', too_many_requests: 'Too many attempts',
      unavailable: 'The server is busy or under maintenance', internal: 'Server error: contact the administrator', network: 'Network unavailable',
    },
    with_field: { invalid_argument: '“{field}” is not valid' },
    http: 'Request failed (error {status})', retry: '; try again in {wait}', row: 'Row {row}: {text}', detail: 'Details',
    required: 'Please fill in “{field}”',
    request_id: 'request {id}', more: '{n} more problems',
  },
  enum: {
    role: {
      admin: 'Administrator', commander: 'Commander', duty_officer: 'Duty officer', inspector: 'Inspector', legal_reviewer: 'Legal reviewer',
      licensing_clerk: 'Licensing clerk', warehouse_keeper: 'Warehouse keeper', grid_worker: 'Grid worker', enterprise: 'Enterprise',
    },
    area_level: { city: 'city', county: 'county', town: 'town', village: 'village' },
    level: {
      blue: { label: 'Blue', grade: 'IV', full: 'Blue warning' }, yellow: { label: 'Yellow', grade: 'III', full: 'Yellow warning' },
      orange: { label: 'Orange', grade: 'II', full: 'Orange warning' }, red: { label: 'Red', grade: 'I', full: 'Red warning' },
    },
    warning_state: { draft: 'Draft', submitted: 'Submitted', approved: 'Approved', issued: 'Issued', cancelled: 'Cancelled', expired: 'Expired' },
    alarm_state: { open: 'Open', acknowledged: 'Acknowledged', closed: 'Closed' },
  },
  registry: {
    layers: {
      enterprises: { label: 'Enterprises' }, 'hazard-sources': { label: 'Hazard sources' }, 'risk-points': { label: 'Risk points' },
      shelters: { label: 'Shelters' }, warehouses: { label: 'Warehouses' }, teams: { label: 'Rescue teams' }, cameras: { label: 'Cameras' },
      'water-sources': { label: 'Water sources' },
    },
    themes: { flood: 'Flood', forest_fire: 'Forest fire', hazmat: 'Hazmat' },
  },
};
