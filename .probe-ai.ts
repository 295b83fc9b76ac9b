import { gatherFacts } from './api/ai/local/facts.js';
const f = gatherFacts('Follow up with Priya Raman (priya@northwind.com) at Northwind Traders.\n', new Date());
console.log(f.people, f.orgs);
