/**
 * The files of pretrained/, embedded at build time by scripts/embed-pretrained.mjs into `_pretrained-data.js`
 * (generated, not committed). `undefined` when the package was built without pretrained/.
 */
export declare const pretrained:
  | {
      /** model.json's text. */
      modelJson: string
      /** metadata.json's text, when pretrained/ has one. */
      metadataJson: string | undefined
      /** Each weight file model.json's manifest lists, base64-encoded, by its manifest path. */
      weights: Record<string, string>
    }
  | undefined
