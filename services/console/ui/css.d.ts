/** Stylesheets are bundled as text (lib/browser-bundle.ts) and put into a <style>. */
declare module '*.css' {
  const text: string;
  export default text;
}
