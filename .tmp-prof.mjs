import fs from 'node:fs'; import path from 'node:path'; import matter from 'gray-matter';
import { remark } from 'remark'; import remarkGfm from 'remark-gfm';
const dir = 'bench/.corpus/1000'; const files = [];
for (const s of ['trackers','workplans']) for (const f of fs.readdirSync(path.join(dir,s)).sort()) files.push(path.join(dir,s,f));
const texts = files.map(f => fs.readFileSync(f,'utf8'));
let t = performance.now(); for (const x of texts) matter(x, {}); console.log('matter', performance.now()-t);
const contents = texts.map(x => matter(x,{}).content);
t = performance.now(); for (const c of contents) remark().use(remarkGfm).parse(c); console.log('remark per-file processor', performance.now()-t);
const p = remark().use(remarkGfm);
t = performance.now(); for (const c of contents) p.parse(c); console.log('remark shared processor', performance.now()-t);
t = performance.now(); for (const c of contents) remark().parse(c); console.log('remark no gfm', performance.now()-t);
for (const fam of ['tr', 'WP', 'plan']) { const cs = files.map((f,i)=>[path.basename(f),contents[i]]).filter(([f])=>f.startsWith(fam)).map(x=>x[1]); t = performance.now(); for (const c of cs) p.parse(c); console.log(fam, cs.length, (performance.now()-t)/cs.length, 'ms/doc'); }
