import type {Block} from './blocks.js'

/** Slack's own previewer, opened on a message's blocks: the JSON rides in the URL's fragment. */
export function blockKitBuilderLink(blocks: readonly Block[]): string {
  return `https://app.slack.com/block-kit-builder#${encodeURIComponent(JSON.stringify({blocks}))}`
}
