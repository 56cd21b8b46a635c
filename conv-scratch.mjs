import { createRequire } from 'node:module';
const conv = createRequire(import.meta.url)('./dist/native/pincer-conv.node');
function t(f, iters=200){ for(let i=0;i<20;i++) f(); const s=performance.now(); for(let i=0;i<iters;i++) f(); return ((performance.now()-s)/iters*1000).toFixed(0)+'us'; }
const layers = [[32,64,64,3,32,32,16,5,5,2,2,1,1],[32,32,32,16,16,16,32,3,3,2,2,0,0],[32,16,16,32,8,8,32,3,3,2,2,0,0]];
for (const L of layers) {
  const [n,h,w,ci,oh,ow,co,kh,kw]=L;
  const dims=Int32Array.from(L);
  const x=new Float32Array(n*h*w*ci).map(()=>Math.random()), f=new Float32Array(kh*kw*ci*co).map(()=>Math.random()-0.5), b=new Float32Array(co), out=new Float32Array(n*oh*ow*co);
  const r=[];
  for (const th of [1,2]) { conv.setThreads(th); r.push(`${th}t fwd ${t(()=>conv.conv2d(x,f,b,out,dims,true))}`); }
  console.log(L.slice(0,7).join('x'), r.join(' | '));
}
