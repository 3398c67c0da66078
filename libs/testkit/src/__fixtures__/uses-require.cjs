// A CommonJS module that calls `require` at run time, as the CommonJS packages inlined
// into a child bundle do: it runs in an ES module bundle only with the require shim.
/* global require, module -- CommonJS, which the repository's lint globals (ES modules) do not name */
const os = require('node:os');
module.exports = { eolLength: os.EOL.length };
