import { create, globals } from 'webgpu';
const opts = process.argv.slice(2);
const gpu = create(opts);
const t = setTimeout(()=>{console.log('TIMEOUT'); process.exit(2)}, 20000);
for (const o of [{}, {featureLevel:'compatibility'}]) {
  try {
    const a = await gpu.requestAdapter(o);
    console.log(JSON.stringify(o), a ? JSON.stringify({info: {vendor:a.info.vendor, architecture:a.info.architecture, device:a.info.device, description:a.info.description, isFallbackAdapter:a.info.isFallbackAdapter}, fl: a.featureLevel, feats:[...a.features].length}) : 'null');
  } catch (e) { console.log('ERR', e.message); }
}
clearTimeout(t);
