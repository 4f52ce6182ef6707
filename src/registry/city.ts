/** The model city's counties (GB/T 2260 codes) and signature industry chains (docs: shared domain.md §5). */
export const COUNTIES = [
  { id: 'nanhu', name: 'Nanhu District', zh: '南湖区', code: '330402' },
  { id: 'xiuzhou', name: 'Xiuzhou District', zh: '秀洲区', code: '330411' },
  { id: 'jiashan', name: 'Jiashan County', zh: '嘉善县', code: '330421' },
  { id: 'haiyan', name: 'Haiyan County', zh: '海盐县', code: '330424' },
  { id: 'haining', name: 'Haining City', zh: '海宁市', code: '330481' },
  { id: 'pinghu', name: 'Pinghu City', zh: '平湖市', code: '330482' },
  { id: 'tongxiang', name: 'Tongxiang City', zh: '桐乡市', code: '330483' },
] as const;

export const CHAINS = [
  { id: 'integrated_circuits', name: 'Integrated circuits', zh: '集成电路' },
  { id: 'semiconductors', name: 'Semiconductor/power chips', zh: '半导体芯片' },
  { id: 'photovoltaics', name: 'Photovoltaics', zh: '光伏' },
  { id: 'hydrogen', name: 'Hydrogen', zh: '氢能' },
  { id: 'nev_parts', name: 'NEVs and parts', zh: '新能源汽车及零部件' },
  { id: 'fasteners', name: 'Fasteners', zh: '紧固件' },
  { id: 'cnc_machine_tools', name: 'CNC machine tools', zh: '数控机床' },
  { id: 'power_equipment', name: 'Power equipment', zh: '电力装备' },
  { id: 'communication_equipment', name: 'Communication equipment', zh: '通信设备' },
  { id: 'textiles_chemical_fibre', name: 'Textiles and chemical fibre', zh: '纺织化纤' },
  { id: 'furniture', name: 'Furniture', zh: '家具' },
  { id: 'smart_sensors', name: 'Smart sensors', zh: '智能传感' },
] as const;

export type CountyId = (typeof COUNTIES)[number]['id'];
export type ChainId = (typeof CHAINS)[number]['id'];
export const STAGES = ['upstream', 'midstream', 'downstream'] as const;
export type Stage = (typeof STAGES)[number];
