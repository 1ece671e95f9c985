// Chinese labels of the command map: layers, fields and enumerated values.
// Unknown fields and values are shown as they are, so a new server field
// appears (under its JSON name) before it gets a label here.
'use strict';

window.YJ_LABELS = (() => {
  // order = order in the layer switcher; glyph + colour = the marker
  const LAYERS = [
    { name: 'enterprises', label: '企业', en: 'Enterprises', glyph: '企', color: '#7b1fa2', shape: 'square' },
    { name: 'hazard-sources', label: '重大危险源', en: 'Hazard sources', glyph: '危', color: '#c62828', shape: 'diamond' },
    { name: 'risk-points', label: '风险点', en: 'Risk points', glyph: '险', color: '#ef6c00', shape: 'circle' },
    { name: 'shelters', label: '避难场所', en: 'Shelters', glyph: '避', color: '#2e7d32', shape: 'circle' },
    { name: 'warehouses', label: '物资仓库', en: 'Warehouses', glyph: '仓', color: '#6d4c41', shape: 'square' },
    { name: 'teams', label: '救援队伍', en: 'Rescue teams', glyph: '队', color: '#1565c0', shape: 'circle' },
    { name: 'cameras', label: '视频监控', en: 'Cameras', glyph: '视', color: '#455a64', shape: 'circle', dense: true },
    { name: 'water-sources', label: '水源点', en: 'Water sources', glyph: '水', color: '#0097a7', shape: 'circle' },
  ];

  // used when GET /api/v1/themes is not available
  const THEMES = [
    { name: 'flood', label: '三防 (防汛防台防旱)', layers: ['risk-points', 'shelters', 'warehouses', 'teams', 'water-sources'] },
    { name: 'forest_fire', label: '林火 (森林防灭火)', layers: ['risk-points', 'cameras', 'teams', 'water-sources', 'warehouses'] },
    { name: 'hazmat', label: '危化 (危险化学品)', layers: ['enterprises', 'hazard-sources', 'teams'] },
  ];
  const THEME_EN = { flood: 'Flood', forest_fire: 'Forest fire', hazmat: 'Hazmat' };

  const COMMON = {
    id: '编号', name: '名称', area_code: '所属区域', lon: '经度', lat: '纬度', note: '备注',
    created: '创建时间', updated: '更新时间',
  };

  const FIELDS = {
    enterprises: {
      credit_code: '统一社会信用代码', sectors: '行业领域', risk_grade: '风险等级', principal: '主要负责人',
      contact: '联系人', phone: '联系电话', address: '地址',
    },
    'hazard-sources': { enterprise_id: '所属企业', level: '危险源等级', substances: '危险物质及数量' },
    'risk-points': {
      type: '风险类型', level: '风险等级', population: '威胁人口', grid_worker_id: '责任网格员',
      shelter_ids: '关联避难场所',
    },
    shelters: {
      kind: '类型', capacity: '容纳人数', area_m2: '面积 (m²)', facilities: '设施', status: '状态',
      contact: '联系人', phone: '联系电话',
    },
    warehouses: { level: '级别', manager: '负责人', phone: '联系电话', area_m2: '面积 (m²)' },
    teams: {
      level: '级别', members: '人数', specialties: '专业', equipment: '主要装备', leader: '队长', phone: '联系电话',
    },
    cameras: { network: '视频网络', status: '状态', channel_code: '通道编码', stream_url: '视频流地址' },
    'water-sources': { kind: '类型', capacity_m3: '容量 (m³)' },
  };

  // enumerated values: per field name (the same name means the same thing
  // across layers, except "level" which is per layer)
  const VALUES = {
    sectors: {
      hazardous_chemicals: '危险化学品', fireworks: '烟花爆竹', non_coal_mine: '非煤矿山',
      ammonia_refrigeration: '涉氨制冷', dust_explosion: '粉尘涉爆', confined_space: '有限空间',
      metallurgy: '冶金工贸', other: '其他',
    },
    risk_grade: {
      A: 'A 级', B: 'B 级', C: 'C 级', D: 'D 级',
      red: '红色 (重大风险)', orange: '橙色 (较大风险)', yellow: '黄色 (一般风险)', blue: '蓝色 (低风险)',
    },
    type: {
      landslide: '地质灾害 (滑坡)', flood_lowland: '低洼易涝区', reservoir: '水库', river_embankment: '江河堤围',
      dangerous_building: '危险房屋', coastal: '沿海地区', forest: '林区 (森林防火)', other: '其他',
    },
    network: { xueliang: '雪亮工程', forest_fire: '林火监控', highway: '高速公路', other: '其他' },
    status: {
      online: '在线', offline: '离线', fault: '故障',
      ready: '待启用 (完好)', open: '已开放', full: '已满员', closed: '关闭',
    },
    kind: { // shelters and water sources
      school: '学校', stadium: '体育场馆', park: '公园广场', community: '社区 (村) 场所',
      purpose_built: '专用避难场所', other: '其他',
      pond: '山塘 / 水池', reservoir: '水库', river: '河流', hydrant: '消火栓', tank: '消防水池 (水罐)',
    },
    facilities: {
      water: '供水', power: '供电', toilet: '卫生间', medical: '医疗', kitchen: '厨房', bedding: '床铺被褥',
      broadcast: '广播',
    },
    specialties: {
      flood: '防汛抢险', forest_fire: '森林灭火', hazmat: '危化品处置', mountain: '山地救援',
      water_rescue: '水上救援', medical: '医疗救护', earthquake: '地震救援', general: '综合救援',
    },
  };
  const LEVEL_VALUES = {
    'hazard-sources': { 1: '一级', 2: '二级', 3: '三级', 4: '四级' },
    warehouses: { city: '市级', county: '县级', town: '镇(街)级' },
    teams: { city: '市级', county: '县级', town: '镇(街)级', enterprise: '企业专职', social: '社会力量' },
    'risk-points': { major: '重大风险', large: '较大风险', medium: '一般风险', small: '低风险' },
  };

  const ROLES = {
    admin: '系统管理员', commander: '指挥长', duty_officer: '值班员', inspector: '执法检查员',
    legal_reviewer: '法制审核员', licensing_clerk: '许可审批员', warehouse_keeper: '仓库管理员', grid_worker: '网格员',
    enterprise: '企业用户', public: '公众',
  };

  const UNITS = { population: '人', capacity: '人', members: '人', area_m2: 'm²', capacity_m3: 'm³' };

  // warnings (预警) and the closed loop (闭环)
  const WARN = {
    LEVELS: {
      blue: { label: '蓝色', grade: 'IV级', color: '#1e88e5', ink: '#fff' },
      yellow: { label: '黄色', grade: 'III级', color: '#fdd835', ink: '#3e2f00' },
      orange: { label: '橙色', grade: 'II级', color: '#fb8c00', ink: '#fff' },
      red: { label: '红色', grade: 'I级', color: '#e53935', ink: '#fff' },
    },
    TYPES: {
      typhoon: '台风', rainstorm: '暴雨', flood: '洪水', geological: '地质灾害', forest_fire: '森林火险',
      high_temperature: '高温', hazmat: '危险化学品事故', other: '突发事件',
    },
    STATES: {
      draft: '草稿', submitted: '待审批', approved: '已批准', issued: '已发布', cancelled: '已撤销', expired: '已过期',
    },
    ACTIONS: {
      submit: '提交审批', approve: '批准', reject: '退回修改', issue: '发布', update: '更新 (发新版本)', cancel: '撤销 / 解除',
    },
    // a recipient's state, as a grid worker reads it
    RECIPIENT: {
      queued: '未读', sent: '未读', delivered: '未读', read: '已读', acknowledged: '已确认', failed: '发送失败',
    },
    TASK: { open: '进行中', closed: '已完成' },
    SOURCES: { own: '本级发布', cap: '上级转发 (CAP)', rule: '监测规则', alarm: '监测报警' },
  };

  // live positions (实时位置, positions.js): device kinds, their marker colour;
  // "moving" kinds are the ones drawn on the positions layer
  const DEVICE_KINDS = {
    fishing_vessel: { label: '渔船', color: '#0277bd', moving: true },
    cargo_vessel: { label: '货船', color: '#283593', moving: true },
    bus: { label: '公交车', color: '#00897b', moving: true },
    coach: { label: '客车', color: '#6a1b9a', moving: true },
    hazmat_vehicle: { label: '危化品车', color: '#d84315', moving: true },
    heavy_truck: { label: '重型货车', color: '#5d4037', moving: true },
    ranger: { label: '护林员', color: '#2e7d32', moving: true },
    other: { label: '其他', color: '#546e7a', moving: true },
    rain_gauge: { label: '雨量站', color: '#607d8b' },
    water_level: { label: '水位站', color: '#607d8b' },
    wind: { label: '风速站', color: '#607d8b' },
    gas: { label: '气体监测', color: '#607d8b' },
    tank_level: { label: '储罐液位', color: '#607d8b' },
    temperature: { label: '温度监测', color: '#607d8b' },
    pressure: { label: '压力监测', color: '#607d8b' },
  };
  const ALARM_STATES = { open: '未处理', acknowledged: '已确认', closed: '已关闭' };

  return { LAYERS, THEMES, THEME_EN, COMMON, FIELDS, VALUES, LEVEL_VALUES, ROLES, UNITS, WARN, DEVICE_KINDS, ALARM_STATES };
})();
