/** The report's whole style sheet, inline: Slack's message look, close enough to judge a layout by. */
export const STYLE = `
body{margin:0;background:#f8f8f8;color:#1d1c1d;font:15px/1.46668 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:900px;margin:0 auto;padding:24px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px}h3{font-size:16px}h3 small{color:#616061;font-weight:400}
.summary{font-weight:700}.warning{background:#fff4e5;border-left:4px solid #ecb22e;padding:8px 12px}.note{color:#616061}
table{border-collapse:collapse;background:#fff;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.message{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 16px;margin:12px 0}
.meta{font-size:12px;color:#616061;margin-bottom:8px}.kind{background:#e8f5fa;color:#1264a3;border-radius:4px;padding:0 4px}
.block{margin:4px 0}.header{font-size:18px;font-weight:900;line-height:1.33}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin-top:8px}
.context{color:#616061;font-size:12px}.context span+span{margin-left:8px}
.divider{border:0;border-top:1px solid #ddd}
pre{background:#f8f8f8;border:1px solid #ddd;border-radius:4px;padding:8px;white-space:pre-wrap;font:12px Monaco,Menlo,Consolas,monospace;margin:4px 0}
code{color:#e01e5a;background:#f8f8f8;border:1px solid #ddd;border-radius:3px;padding:0 3px;font:12px Monaco,Menlo,Consolas,monospace}
.meta code{color:#616061}
a{color:#1264a3}.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}.special{background:#fef3c7;color:#8a6d00}
.fallback{font-size:12px;color:#616061;border-top:1px dashed #ddd;margin-top:8px;padding-top:6px}.fallback span{font-weight:700}
.builder{font-size:12px}
`
