// Demo content for a Crearis database (theatre-pedagogy network in Bavaria, Saxony, Thuringia and
// Bohemia), inserted on top of crearis-schema.sql. Modelled on the shape of the original ~200-record
// demo set; all records are fictional and written for this project. References are resolved inside
// SQL by natural keys (sysmail, domaincode, xmlid, tag name, status name+table), never by assumed ids.
import type pg from 'pg';

// ─── Deterministic randomness ─────────────────────────────────────────────────────────────────────

type Random = () => number;

/** mulberry32: tiny, fast, good enough to vary demo values reproducibly. */
function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function pickDistinct<T>(random: Random, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0) {
    picked.push(pool.splice(Math.floor(random() * pool.length), 1)[0]);
  }
  return picked;
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function fakeBcryptHash(random: Random): string {
  let body = '';
  for (let i = 0; i < 53; i++) body += BCRYPT_ALPHABET[Math.floor(random() * BCRYPT_ALPHABET.length)];
  return `$2b$10$${body}`;
}

function fakeUuid(random: Random): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

// ─── Value helpers ────────────────────────────────────────────────────────────────────────────────

const DEMO_EPOCH = Date.UTC(2025, 8, 1, 8, 0, 0); // 2025-09-01 08:00:00

/** A TIMESTAMP literal (no zone) some minutes after the demo epoch. */
function demoTimestamp(minutesAfterEpoch: number): string {
  const d = new Date(DEMO_EPOCH + minutesAfterEpoch * 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function stringHash(text: string): number {
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619) >>> 0;
  return h;
}

/** A stable unsplash-style URL for a record key. */
function photoUrl(key: string, width: number, height: number): string {
  const h = stringHash(key);
  return `https://images.unsplash.com/photo-15${String(h % 100_000_000).padStart(8, '0')}-${((h * 2654435761) >>> 0).toString(16).padStart(8, '0')}a1?w=${width}&h=${height}&fit=crop`;
}

async function insertRows(client: pg.ClientBase, sql: string, rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(sql, [JSON.stringify(rows.map((row, ord) => ({ ord, ...row })))]);
}

// ─── The demo records ─────────────────────────────────────────────────────────────────────────────

interface DemoUser {
  sysmail: string;
  extmail: string | null;
  username: string;
  role: 'user' | 'admin' | 'base';
  status: string;
  lang: 'de' | 'en' | 'cz';
  instructor: string | null;
  participant: string | null;
  image: string | null;
}

const users: DemoUser[] = [
  {
    sysmail: 'clara.weidinger@crearis.demo',
    extmail: 'clara.w@posteo.demo',
    username: 'Clara Weidinger',
    role: 'admin',
    status: 'verified',
    lang: 'de',
    instructor: null,
    participant: null,
    image: '_demo.image_probebuehne',
  },
  {
    sysmail: 'georg.aumueller@crearis.demo',
    extmail: null,
    username: 'Georg Aumüller',
    role: 'base',
    status: 'activated',
    lang: 'de',
    instructor: null,
    participant: null,
    image: null,
  },
  {
    sysmail: 'lena.hofbauer@crearis.demo',
    extmail: 'lena.hofbauer@mailbox.demo',
    username: 'Lena Hofbauer',
    role: 'user',
    status: 'public',
    lang: 'de',
    instructor: '_demo.instructor_lena_hofbauer',
    participant: null,
    image: '_demo.image_workshop_kreis',
  },
  {
    sysmail: 'jonas.wiesinger@crearis.demo',
    extmail: null,
    username: 'Jonas Wiesinger',
    role: 'user',
    status: 'publish',
    lang: 'de',
    instructor: '_demo.instructor_jonas_wiesinger',
    participant: null,
    image: null,
  },
  {
    sysmail: 'tobias.kuehn@crearis.demo',
    extmail: 'tk@theaterkollektiv.demo',
    username: 'Tobias Kühn',
    role: 'user',
    status: 'verified',
    lang: 'de',
    instructor: '_demo.instructor_tobias_kuehn',
    participant: null,
    image: null,
  },
  {
    sysmail: 'selin.arslan@crearis.demo',
    extmail: null,
    username: 'Selin Arslan',
    role: 'user',
    status: 'synced',
    lang: 'de',
    instructor: '_demo.instructor_selin_arslan',
    participant: null,
    image: null,
  },
  {
    sysmail: 'matthias.brandl@crearis.demo',
    extmail: null,
    username: 'Matthias Brandl',
    role: 'user',
    status: 'verified',
    lang: 'de',
    instructor: '_demo.instructor_matthias_brandl',
    participant: null,
    image: null,
  },
  {
    sysmail: 'petra.horakova@crearis.demo',
    extmail: 'petra.horakova@seznam.demo',
    username: 'Petra Horáková',
    role: 'user',
    status: 'activated',
    lang: 'cz',
    instructor: '_demo.instructor_petra_horakova',
    participant: null,
    image: null,
  },
  {
    sysmail: 'hannah.engel@crearis.demo',
    extmail: null,
    username: 'Hannah Engel',
    role: 'user',
    status: 'public',
    lang: 'de',
    instructor: '_demo.instructor_hannah_engel',
    participant: null,
    image: null,
  },
  {
    sysmail: 'vera.klostermann@crearis.demo',
    extmail: null,
    username: 'Vera Klostermann',
    role: 'user',
    status: 'new',
    lang: 'de',
    instructor: null,
    participant: '_demo.adult_03',
    image: null,
  },
  {
    sysmail: 'paul.reithmayr@crearis.demo',
    extmail: 'paul.r@outlook.demo',
    username: 'Paul Reithmayr',
    role: 'user',
    status: 'activated',
    lang: 'de',
    instructor: null,
    participant: null,
    image: null,
  },
  {
    sysmail: 'aylin.demir@crearis.demo',
    extmail: null,
    username: 'Aylin Demir',
    role: 'user',
    status: 'verified',
    lang: 'de',
    instructor: null,
    participant: '_demo.teen_07',
    image: null,
  },
  {
    sysmail: 'florian.stoeckl@crearis.demo',
    extmail: null,
    username: 'Florian Stöckl',
    role: 'user',
    status: 'new',
    lang: 'de',
    instructor: null,
    participant: null,
    image: null,
  },
  {
    sysmail: 'katerina.novakova@crearis.demo',
    extmail: null,
    username: 'Kateřina Nováková',
    role: 'user',
    status: 'activated',
    lang: 'cz',
    instructor: null,
    participant: null,
    image: null,
  },
  {
    sysmail: 'ben.whitfield@crearis.demo',
    extmail: 'ben@whitfield-stage.demo',
    username: 'Ben Whitfield',
    role: 'user',
    status: 'verified',
    lang: 'en',
    instructor: null,
    participant: null,
    image: null,
  },
  {
    sysmail: 'martha.eberl@crearis.demo',
    extmail: null,
    username: 'Martha Eberl',
    role: 'user',
    status: 'new',
    lang: 'de',
    instructor: null,
    participant: null,
    image: null,
  },
  {
    sysmail: 'quirin.sedlmeier@crearis.demo',
    extmail: null,
    username: 'Quirin Sedlmeier',
    role: 'user',
    status: 'activated',
    lang: 'en',
    instructor: null,
    participant: null,
    image: null,
  },
];

interface DemoProject {
  domaincode: string;
  name: string;
  type: 'project' | 'regio' | 'special' | 'topic' | 'location';
  regio: string | null;
  owner: string;
  members: string[];
  status: string;
  heading: string;
  teaser: string;
  description: string;
  headerSize: 'small' | 'medium' | 'large' | null;
  teamPage: 'yes' | 'no';
  cta: { title: string; entity: 'post' | 'event' | 'instructor'; link: string } | null;
  config: { onepage: boolean; service: boolean; sidebar: boolean };
  isCompany: boolean;
  image: string | null;
  headerAlert: object | null;
  footerSitemap: string;
}

const regioProjects: DemoProject[] = [
  {
    domaincode: 'ostbayern',
    name: 'Regio **Ostbayern**',
    type: 'regio',
    regio: null,
    owner: 'clara.weidinger@crearis.demo',
    members: ['lena.hofbauer@crearis.demo', 'jonas.wiesinger@crearis.demo', 'matthias.brandl@crearis.demo'],
    status: 'released',
    heading: 'Theaterpädagogik zwischen Donau und Bayerwald',
    teaser: 'Das Netzwerk für Spielleiter*innen in Regensburg, Passau, Landshut und Straubing.',
    description: 'Regionale Plattform für Workshops, Kurse und Festivals in **Ostbayern**.',
    headerSize: 'large',
    teamPage: 'yes',
    cta: { title: 'Alle Termine in Ostbayern', entity: 'event', link: '/sites/ostbayern/events' },
    config: { onepage: false, service: false, sidebar: true },
    isCompany: false,
    image: '_demo.image_donau_panorama',
    headerAlert: null,
    footerSitemap: 'regensburg,passau,landshut,straubing',
  },
  {
    domaincode: 'sachsen',
    name: 'Regio **Sachsen**',
    type: 'regio',
    regio: null,
    owner: 'tobias.kuehn@crearis.demo',
    members: ['hannah.engel@crearis.demo', 'georg.aumueller@crearis.demo'],
    status: 'publish',
    heading: 'Spielräume in Dresden, Leipzig, Chemnitz und der Lausitz',
    teaser: 'Freie Szene, Schulen und Soziokultur – gemeinsam auf einer Bühne.',
    description: 'Regionale Seite für Sachsen mit Schwerpunkt auf **soziokulturellen Zentren**.',
    headerSize: 'medium',
    teamPage: 'yes',
    cta: { title: 'Mitmachen in Sachsen', entity: 'instructor', link: 'https://sachsen.theaterpedia.demo/mitmachen' },
    config: { onepage: false, service: false, sidebar: false },
    isCompany: false,
    image: null,
    headerAlert: { text: 'Neue Fortbildungsreihe ab Januar!', level: 'info' },
    footerSitemap: '',
  },
  {
    domaincode: 'franken',
    name: 'Regio **Franken**',
    type: 'regio',
    regio: null,
    owner: 'selin.arslan@crearis.demo',
    members: ['paul.reithmayr@crearis.demo'],
    status: 'draft',
    heading: 'Theater für alle in Nürnberg, Erlangen, Bamberg und Würzburg',
    teaser: 'Von der Kellerbühne bis zum Hinterhoftheater.',
    description: 'Regionale Seite für Franken – im Aufbau.',
    headerSize: null,
    teamPage: 'no',
    cta: null,
    config: { onepage: true, service: false, sidebar: false },
    isCompany: false,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
];

const memberProjects: DemoProject[] = [
  {
    domaincode: 'spielraum_regensburg',
    name: 'Spielraum **Regensburg**',
    type: 'project',
    regio: 'ostbayern',
    owner: 'lena.hofbauer@crearis.demo',
    members: ['florian.stoeckl@crearis.demo', 'martha.eberl@crearis.demo'],
    status: 'released',
    heading: 'Improvisation, Forum und Stadtteiltheater',
    teaser: 'Offene Gruppen und Workshops am Donaumarkt – seit 2014.',
    description: 'Der **Spielraum** ist ein offenes Theaterlabor für alle Generationen.',
    headerSize: 'large',
    teamPage: 'yes',
    cta: { title: 'Jetzt anmelden', entity: 'event', link: '/sites/spielraum_regensburg/anmeldung' },
    config: { onepage: false, service: false, sidebar: true },
    isCompany: true,
    image: '_demo.image_probebuehne',
    headerAlert: null,
    footerSitemap: 'programm,team,kontakt',
  },
  {
    domaincode: 'kinderbuehne_passau',
    name: 'Kinderbühne **Passau**',
    type: 'project',
    regio: 'ostbayern',
    owner: 'jonas.wiesinger@crearis.demo',
    members: ['martha.eberl@crearis.demo'],
    status: 'publish',
    heading: 'Theater mit Kindern zwischen drei Flüssen',
    teaser: 'Spielclubs für 6- bis 12-Jährige in der Innstadt.',
    description: 'Wöchentliche Spielclubs, Ferienwerkstätten und eine Aufführung pro Halbjahr.',
    headerSize: 'medium',
    teamPage: 'yes',
    cta: null,
    config: { onepage: true, service: false, sidebar: false },
    isCompany: false,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
  {
    domaincode: 'buehnenwerk_landshut',
    name: 'Bühnenwerk **Landshut**',
    type: 'project',
    regio: 'ostbayern',
    owner: 'matthias.brandl@crearis.demo',
    members: [],
    status: 'progress',
    heading: 'Jugendtheater an der Isar',
    teaser: 'Eigene Stücke entwickeln – von der ersten Idee bis zur Premiere.',
    description: 'Ein Projekt des Jugendzentrums Isarbrücke mit Spielleitung aus Straubing.',
    headerSize: 'small',
    teamPage: 'no',
    cta: null,
    config: { onepage: false, service: false, sidebar: false },
    isCompany: false,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
  {
    domaincode: 'forumtheater_dresden',
    name: 'Forumtheater **Dresden**',
    type: 'project',
    regio: 'sachsen',
    owner: 'tobias.kuehn@crearis.demo',
    members: ['hannah.engel@crearis.demo', 'ben.whitfield@crearis.demo'],
    status: 'released',
    heading: 'Theater der Unterdrückten in der Neustadt',
    teaser: 'Szenen aus dem Alltag – und das Publikum greift ein.',
    description: 'Monatliche Forumtheater-Abende und Fortbildungen für Multiplikator*innen.',
    headerSize: 'large',
    teamPage: 'yes',
    cta: { title: 'Nächster Forumabend', entity: 'event', link: '/sites/forumtheater_dresden/termine' },
    config: { onepage: false, service: false, sidebar: true },
    isCompany: true,
    image: null,
    headerAlert: null,
    footerSitemap: 'termine,methoden,team',
  },
  {
    domaincode: 'jugendclub_leipzig',
    name: 'Jugendclub **Leipzig-West**',
    type: 'project',
    regio: 'sachsen',
    owner: 'hannah.engel@crearis.demo',
    members: ['tobias.kuehn@crearis.demo'],
    status: 'publish',
    heading: 'Bühne frei für 14- bis 21-Jährige',
    teaser: 'Wir spielen, schreiben und streiten – jeden Donnerstag in Lindenau.',
    description: 'Offener Jugendclub mit Schreibwerkstatt und Medienlabor.',
    headerSize: 'medium',
    teamPage: 'yes',
    cta: null,
    config: { onepage: false, service: false, sidebar: false },
    isCompany: false,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
  {
    domaincode: 'grenzgaenger',
    name: 'Grenzgänger – **Hraničáři**',
    type: 'project',
    regio: 'sachsen',
    owner: 'petra.horakova@crearis.demo',
    members: ['katerina.novakova@crearis.demo', 'tobias.kuehn@crearis.demo'],
    status: 'released',
    heading: 'Deutsch-tschechische Theaterbegegnungen',
    teaser: 'Zwei Sprachen, eine Bühne: Jugendbegegnungen in Görlitz, Cheb und Plzeň.',
    description: 'Česko-německé divadelní setkání mládeže – **dvojjazyčně**.',
    headerSize: 'medium',
    teamPage: 'yes',
    cta: { title: 'Přihláška / Anmeldung', entity: 'event', link: 'https://grenzgaenger.theaterpedia.demo/anmeldung' },
    config: { onepage: false, service: false, sidebar: true },
    isCompany: false,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
  {
    domaincode: 'hinterhof_nuernberg',
    name: 'Hinterhoftheater **Gostenhof**',
    type: 'project',
    regio: 'franken',
    owner: 'selin.arslan@crearis.demo',
    members: ['paul.reithmayr@crearis.demo', 'aylin.demir@crearis.demo'],
    status: 'publish',
    heading: 'Nachbarschaftstheater im Hinterhof',
    teaser: 'Geschichten aus dem Viertel, gespielt von denen, die hier wohnen.',
    description: 'Community-Theater mit Erzählcafé, Probenbühne und Sommerfest.',
    headerSize: 'large',
    teamPage: 'yes',
    cta: null,
    config: { onepage: false, service: false, sidebar: false },
    isCompany: false,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
  {
    domaincode: 'kellerbuehne_wuerzburg',
    name: 'Kellerbühne **Sanderau**',
    type: 'project',
    regio: 'franken',
    owner: 'paul.reithmayr@crearis.demo',
    members: [],
    status: 'draft',
    heading: 'Kleines Haus, große Stoffe',
    teaser: 'Studierende und Senior*innen spielen gemeinsam.',
    description: 'Generationenübergreifendes Ensemble im Gewölbekeller.',
    headerSize: 'small',
    teamPage: 'no',
    cta: null,
    config: { onepage: true, service: false, sidebar: false },
    isCompany: false,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
  {
    domaincode: 'maskenwerkstatt',
    name: '**Maskenwerkstatt** Bamberg',
    type: 'project',
    regio: 'franken',
    owner: 'ben.whitfield@crearis.demo',
    members: ['quirin.sedlmeier@crearis.demo'],
    status: 'progress',
    heading: 'Masken bauen, Masken spielen',
    teaser: 'Commedia, Halbmasken und neutrale Masken in der Alten Gärtnerei.',
    description: 'Werkstattkurse zu Maskenbau und Maskenspiel – auch auf Englisch.',
    headerSize: 'medium',
    teamPage: 'yes',
    cta: null,
    config: { onepage: false, service: false, sidebar: false },
    isCompany: true,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
  {
    domaincode: 'erzaehlcafe_erfurt',
    name: 'Erzählcafé **Erfurt**',
    type: 'project',
    regio: 'regio1',
    owner: 'hannah.engel@crearis.demo',
    members: ['vera.klostermann@crearis.demo'],
    status: 'new',
    heading: 'Biografisches Theater mit Älteren',
    teaser: 'Erinnerungen erzählen, Szenen bauen, Kaffee trinken.',
    description: 'Ein Projekt im Aufbau an der Krämerbrücke.',
    headerSize: null,
    teamPage: 'yes',
    cta: null,
    config: { onepage: true, service: false, sidebar: false },
    isCompany: false,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
  {
    domaincode: 'sommerakademie',
    name: 'Sommerakademie **Spiel & Raum**',
    type: 'project',
    regio: null,
    owner: 'clara.weidinger@crearis.demo',
    members: ['lena.hofbauer@crearis.demo', 'selin.arslan@crearis.demo', 'tobias.kuehn@crearis.demo'],
    status: 'demo',
    heading: 'Eine Woche Theater im August',
    teaser: 'Fortbildung für Lehrkräfte, Erzieher*innen und Spielleiter*innen.',
    description: 'Kompaktkurs mit Abschlusspräsentation – Unterkunft im Tagungshaus.',
    headerSize: 'large',
    teamPage: 'no',
    cta: { title: 'Programm als PDF', entity: 'post', link: 'https://sommerakademie.theaterpedia.demo/programm.pdf' },
    config: { onepage: true, service: false, sidebar: true },
    isCompany: false,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
  {
    domaincode: 'buehnenservice',
    name: 'Bühnenservice **Technik & Licht**',
    type: 'project',
    regio: null,
    owner: 'georg.aumueller@crearis.demo',
    members: [],
    status: 'done',
    heading: 'Verleih und Beratung',
    teaser: 'Scheinwerfer, Podeste und Tontechnik für freie Gruppen.',
    description: 'Service-Projekt ohne eigene Landingpage.',
    headerSize: 'small',
    teamPage: 'no',
    cta: null,
    config: { onepage: true, service: true, sidebar: false },
    isCompany: true,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
  {
    domaincode: 'schultheater_netz',
    name: 'Netzwerk **Schultheater**',
    type: 'topic',
    regio: null,
    owner: 'matthias.brandl@crearis.demo',
    members: ['jonas.wiesinger@crearis.demo', 'florian.stoeckl@crearis.demo'],
    status: 'publish',
    heading: 'Darstellendes Spiel an Schulen',
    teaser: 'Materialien, Methoden und Erfahrungsberichte aus dem Unterricht.',
    description: 'Themenseite mit Beiträgen – ohne eigene Termine.',
    headerSize: 'medium',
    teamPage: 'no',
    cta: { title: 'Material-Sammlung', entity: 'post', link: '/sites/schultheater_netz/material' },
    config: { onepage: false, service: false, sidebar: true },
    isCompany: false,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
  {
    domaincode: 'werkraum_chemnitz',
    name: 'Werkraum **Kaßberg**',
    type: 'location',
    regio: 'sachsen',
    owner: 'georg.aumueller@crearis.demo',
    members: [],
    status: 'released',
    heading: 'Proberäume und Studiobühne',
    teaser: 'Zwei Säle, eine Werkstatt und ein Café im Chemnitzer Westen.',
    description: 'Ort für Proben, Gastspiele und Workshops.',
    headerSize: 'medium',
    teamPage: 'no',
    cta: null,
    config: { onepage: true, service: false, sidebar: false },
    isCompany: true,
    image: null,
    headerAlert: null,
    footerSitemap: '',
  },
];

const projects: DemoProject[] = [...regioProjects, ...memberProjects];

interface DemoImage {
  xmlid: string | null;
  name: string;
  url: string;
  project: string | null;
  owner: string | null;
  alt: string;
  title: string;
  geo: object | null;
  width: number;
  height: number;
  shapes: { wide?: object; square?: object; vertical?: object; thumb?: object };
  fileformat: string;
  license: string;
  author: object | null;
  publisher: object | null;
  ctagsHex: string;
  rtagsHex: string;
  status: string;
  variantOf: string | null;
}

const images: DemoImage[] = [
  {
    xmlid: '_demo.image_probebuehne',
    name: 'Probebühne am Donaumarkt',
    url: 'https://images.unsplash.com/photo-1516307365426-bea591f05011',
    project: 'spielraum_regensburg',
    owner: 'lena.hofbauer@crearis.demo',
    alt: 'Leere Probebühne mit Stühlen im Kreis',
    title: 'Probebühne',
    geo: { lat: 49.0197, lon: 12.0977 },
    width: 4000,
    height: 2667,
    shapes: {
      wide: { x: 50, y: 40, z: 100, url: null, blur: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj' },
      thumb: { url: 'https://images.unsplash.com/photo-1516307365426-bea591f05011?w=200&h=200&fit=crop' },
    },
    fileformat: 'jpeg',
    license: 'unsplash',
    author: { adapter: 'unsplash', account_id: 'kilian_photo', file_id: 'bea591f05011' },
    publisher: null,
    ctagsHex: '10',
    rtagsHex: '00',
    status: 'done',
    variantOf: null,
  },
  {
    xmlid: '_demo.image_workshop_kreis',
    name: 'Aufwärmkreis im Workshop',
    url: 'https://images.unsplash.com/photo-1529156069898-fac51a4ae3f6',
    project: 'forumtheater_dresden',
    owner: 'tobias.kuehn@crearis.demo',
    alt: 'Gruppe steht im Kreis und lacht',
    title: 'Aufwärmen',
    geo: null,
    width: 3200,
    height: 2133,
    shapes: { square: { json: { focal: [0.5, 0.45], crop: 'face' } }, vertical: { x: 40, y: 50, z: 120 } },
    fileformat: 'webp',
    license: 'BY-SA',
    author: null,
    publisher: null,
    ctagsHex: '20',
    rtagsHex: '0102',
    status: 'done',
    variantOf: null,
  },
  {
    xmlid: '_demo.image_donau_panorama',
    name: 'Donau bei Stadtamhof',
    url: 'https://images.unsplash.com/photo-1467269204594-9661b134dd2b',
    project: 'ostbayern',
    owner: 'clara.weidinger@crearis.demo',
    alt: 'Blick über die Donau auf die Altstadt',
    title: 'Regio Ostbayern',
    geo: { lat: 49.0225, lon: 12.0958, place: 'Steinerne Brücke' },
    width: 6000,
    height: 2000,
    shapes: {
      wide: {
        url: 'https://images.unsplash.com/photo-1467269204594-9661b134dd2b?w=1600&h=600&fit=crop',
        turl: 'w=1600&h=600',
        tpar: 'crop',
      },
    },
    fileformat: 'jpeg',
    license: 'CC0',
    author: { adapter: 'crearis', account_id: 'redaktion', info: 'Archiv Regio' },
    publisher: null,
    ctagsHex: '30',
    rtagsHex: '00',
    status: 'demo',
    variantOf: null,
  },
  {
    xmlid: '_demo.image_trailer_grenzgaenger',
    name: 'Trailer Grenzgänger 2025',
    url: 'https://www.youtube.com/watch?v=dQw4demo001',
    project: 'grenzgaenger',
    owner: 'petra.horakova@crearis.demo',
    alt: 'Videostill: Jugendliche auf einer Brücke',
    title: 'Trailer',
    geo: null,
    width: 1920,
    height: 1080,
    shapes: {},
    fileformat: 'none',
    license: 'BY-NC',
    author: null,
    publisher: { adapter: 'youtube', file_id: 'dQw4demo001', account_id: 'grenzgaenger', config: { autoplay: false } },
    ctagsHex: '50',
    rtagsHex: '00',
    status: 'draft',
    variantOf: null,
  },
  {
    xmlid: '_demo.image_probebuehne_sw',
    name: 'Probebühne (schwarz-weiß)',
    url: 'https://images.unsplash.com/photo-1516307365426-bea591f05011?sat=-100',
    project: 'spielraum_regensburg',
    owner: 'lena.hofbauer@crearis.demo',
    alt: 'Probebühne in Schwarz-Weiß',
    title: 'Probebühne s/w',
    geo: null,
    width: 4000,
    height: 2667,
    shapes: { square: { x: 50, y: 50, z: 80 } },
    fileformat: 'avif',
    license: 'unsplash',
    author: null,
    publisher: null,
    ctagsHex: '90',
    rtagsHex: '00',
    status: 'new',
    variantOf: '_demo.image_probebuehne',
  },
  {
    xmlid: null,
    name: 'Scan Programmheft 1998',
    url: 'https://archiv.crearis.demo/scans/programmheft-1998.png',
    project: null,
    owner: null,
    alt: 'Gescanntes Programmheft',
    title: 'Programmheft',
    geo: null,
    width: 1240,
    height: 1754,
    shapes: {},
    fileformat: 'png',
    license: 'private',
    author: null,
    publisher: null,
    ctagsHex: '00',
    rtagsHex: '',
    status: 'archived',
    variantOf: null,
  },
];

interface DemoInstructor {
  key: string;
  name: string;
  city: string;
  country: 'base.de' | 'base.cz';
  phone: string | null;
  description: string;
  status: string;
  multiproject: 'yes' | 'no';
  headerSize: 'small' | 'medium' | 'large' | null;
  lang: 'de' | 'en' | 'cz';
  image: string | null;
}

const instructors: DemoInstructor[] = [
  {
    key: 'lena_hofbauer',
    name: 'Lena Hofbauer',
    city: 'Regensburg',
    country: 'base.de',
    phone: '0941 5512301',
    description:
      'Theaterpädagogin (BuT) und Improspielerin. Leitet seit zehn Jahren offene Gruppen am Donaumarkt und bildet Spielleiter*innen aus.',
    status: 'public',
    multiproject: 'yes',
    headerSize: 'large',
    lang: 'de',
    image: '_demo.image_workshop_kreis',
  },
  {
    key: 'jonas_wiesinger',
    name: 'Jonas Wiesinger',
    city: 'Passau',
    country: 'base.de',
    phone: '0851 4420302',
    description: 'Schauspieler und Kindertheatermacher. Erfindet mit Kindern Geschichten, die aus Pappkartons und Taschenlampen entstehen.',
    status: 'public',
    multiproject: 'yes',
    headerSize: 'medium',
    lang: 'de',
    image: null,
  },
  {
    key: 'marija_petrovic',
    name: 'Marija Petrović',
    city: 'Dresden',
    country: 'base.de',
    phone: '0351 2290303',
    description: 'Regisseurin aus Novi Sad, seit 2016 in Dresden. Arbeitet mehrsprachig mit Jugendlichen und Geflüchteten.',
    status: 'active',
    multiproject: 'yes',
    headerSize: null,
    lang: 'de',
    image: null,
  },
  {
    key: 'tobias_kuehn',
    name: 'Tobias Kühn',
    city: 'Leipzig',
    country: 'base.de',
    phone: '0341 6670304',
    description: 'Joker im Forumtheater nach Augusto Boal. Moderiert Forumabende in Schulen, Betrieben und Stadtteilzentren.',
    status: 'public',
    multiproject: 'yes',
    headerSize: 'large',
    lang: 'de',
    image: null,
  },
  {
    key: 'selin_arslan',
    name: 'Selin Arslan',
    city: 'Nürnberg',
    country: 'base.de',
    phone: '0911 3380305',
    description: 'Kulturpädagogin und Autorin. Baut Erzählcafés auf und macht aus Nachbarschaftsgeschichten Theaterabende.',
    status: 'public',
    multiproject: 'no',
    headerSize: 'medium',
    lang: 'de',
    image: null,
  },
  {
    key: 'ruth_obermaier',
    name: 'Ruth Obermaier',
    city: 'Landshut',
    country: 'base.de',
    phone: '0871 9940306',
    description: 'Sprecherzieherin und Spielleiterin. Schwerpunkt: Stimme, Atem und Präsenz auf der Bühne.',
    status: 'active',
    multiproject: 'yes',
    headerSize: null,
    lang: 'de',
    image: null,
  },
  {
    key: 'konstantin_lehner',
    name: 'Konstantin Lehner',
    city: 'Chemnitz',
    country: 'base.de',
    phone: '0371 5560307',
    description: 'Bühnenbildner und Werkstattleiter. Zeigt, wie aus Restholz und Stoffresten ganze Welten entstehen.',
    status: 'synced',
    multiproject: 'yes',
    headerSize: 'small',
    lang: 'de',
    image: null,
  },
  {
    key: 'yuki_tanaka_berg',
    name: 'Yuki Tanaka-Berg',
    city: 'Würzburg',
    country: 'base.de',
    phone: '0931 7720308',
    description: 'Tänzerin und Choreografin. Verbindet Butoh mit zeitgenössischem Tanztheater für Erwachsene.',
    status: 'active',
    multiproject: 'yes',
    headerSize: 'medium',
    lang: 'en',
    image: null,
  },
  {
    key: 'friederike_scholz',
    name: 'Friederike Scholz',
    city: 'Görlitz',
    country: 'base.de',
    phone: '03581 470309',
    description: 'Spielleiterin an der Neiße. Organisiert Theaterbegegnungen zwischen Görlitz und Zgorzelec.',
    status: 'active',
    multiproject: 'yes',
    headerSize: null,
    lang: 'de',
    image: null,
  },
  {
    key: 'emeka_okafor',
    name: 'Emeka Okafor',
    city: 'Erlangen',
    country: 'base.de',
    phone: '09131 610310',
    description: 'Storyteller und Musiker. Bringt westafrikanische Erzähltraditionen mit Trommel und Stimme auf die Bühne.',
    status: 'public',
    multiproject: 'yes',
    headerSize: 'large',
    lang: 'en',
    image: null,
  },
  {
    key: 'ida_lindqvist',
    name: 'Ida Lindqvist',
    city: 'Bamberg',
    country: 'base.de',
    phone: '0951 8830311',
    description: 'Maskenbauerin aus Göteborg. Unterrichtet Maskenbau und Maskenspiel in kleinen Gruppen.',
    status: 'active',
    multiproject: 'no',
    headerSize: null,
    lang: 'en',
    image: null,
  },
  {
    key: 'matthias_brandl',
    name: 'Matthias Brandl',
    city: 'Straubing',
    country: 'base.de',
    phone: '09421 550312',
    description: 'Lehrer für Deutsch und Darstellendes Spiel. Koordiniert das Netzwerk Schultheater in Niederbayern.',
    status: 'public',
    multiproject: 'yes',
    headerSize: 'medium',
    lang: 'de',
    image: null,
  },
  {
    key: 'nadia_haddad',
    name: 'Nadia Haddad',
    city: 'Leipzig',
    country: 'base.de',
    phone: '0341 9910313',
    description: 'Dramatherapeutin. Arbeitet traumasensibel mit Frauengruppen und begleitet Fortbildungen.',
    status: 'active',
    multiproject: 'yes',
    headerSize: null,
    lang: 'de',
    image: null,
  },
  {
    key: 'bernd_voetter',
    name: 'Bernd Vötter',
    city: 'Weiden i.d.OPf.',
    country: 'base.de',
    phone: '0961 2230314',
    description: 'Puppenspieler und Geschichtenerzähler. Tourt mit seiner Wanderbühne durch die Oberpfalz.',
    status: 'new',
    multiproject: 'yes',
    headerSize: null,
    lang: 'de',
    image: null,
  },
  {
    key: 'petra_horakova',
    name: 'Petra Horáková',
    city: 'Plzeň',
    country: 'base.cz',
    phone: null,
    description: 'Divadelní pedagožka a režisérka. Vede česko-německé projekty mládeže v Plzni a Chebu.',
    status: 'public',
    multiproject: 'yes',
    headerSize: 'medium',
    lang: 'cz',
    image: null,
  },
  {
    key: 'ondrej_dvorak',
    name: 'Ondřej Dvořák',
    city: 'Cheb',
    country: 'base.cz',
    phone: null,
    description: 'Herec a lektor improvizace. Spolupracuje s kluby mládeže v příhraničí.',
    status: 'active',
    multiproject: 'no',
    headerSize: null,
    lang: 'cz',
    image: null,
  },
  {
    key: 'sophie_gruber',
    name: 'Sophie Gruber',
    city: 'Ingolstadt',
    country: 'base.de',
    phone: '0841 3340317',
    description: 'Theaterpädagogin für inklusives Theater. Entwickelt barrierearme Probenformate mit Gebärdensprache.',
    status: 'active',
    multiproject: 'yes',
    headerSize: 'small',
    lang: 'de',
    image: null,
  },
  {
    key: 'aleksander_nowak',
    name: 'Aleksander Nowak',
    city: 'Zwickau',
    country: 'base.de',
    phone: '0375 6650318',
    description: 'Clown und Zirkuspädagoge. Verbindet Akrobatik, Slapstick und Szenenarbeit für Kinder.',
    status: 'synced',
    multiproject: 'yes',
    headerSize: null,
    lang: 'de',
    image: null,
  },
  {
    key: 'hannah_engel',
    name: 'Hannah Engel',
    city: 'Erfurt',
    country: 'base.de',
    phone: '0361 7780319',
    description: 'Biografiearbeit und Seniorentheater. Leitet das Erzählcafé an der Krämerbrücke.',
    status: 'public',
    multiproject: 'yes',
    headerSize: 'medium',
    lang: 'de',
    image: null,
  },
  {
    key: 'miroslav_kriz',
    name: 'Miroslav Kříž',
    city: 'Praha',
    country: 'base.cz',
    phone: null,
    description: 'Dramaturg a autor. Píše texty pro amatérské soubory a vede psací dílny.',
    status: 'new',
    multiproject: 'no',
    headerSize: null,
    lang: 'cz',
    image: null,
  },
];

interface DemoLocation {
  key: string;
  name: string;
  phone: string | null;
  email: string;
  city: string;
  zip: string;
  street: string;
  country: 'base.de' | 'base.cz';
  project: string | null;
  status: string;
  image: string | null;
}

const locations: DemoLocation[] = [
  {
    key: 'spielhaus_donaumarkt',
    name: 'Spielhaus am Donaumarkt',
    phone: '0941 5523401',
    email: 'info@spielhaus-donaumarkt.demo',
    city: 'Regensburg',
    zip: '93047',
    street: 'Donaumarkt 7',
    country: 'base.de',
    project: 'spielraum_regensburg',
    status: 'public',
    image: '_demo.image_probebuehne',
  },
  {
    key: 'kulturspeicher_stadtamhof',
    name: 'Kulturspeicher Stadtamhof',
    phone: '0941 7781202',
    email: 'kontakt@kulturspeicher.demo',
    city: 'Regensburg',
    zip: '93059',
    street: 'Andreasstraße 28',
    country: 'base.de',
    project: 'spielraum_regensburg',
    status: 'active',
    image: null,
  },
  {
    key: 'theaterscheune_innstadt',
    name: 'Theaterscheune Innstadt',
    phone: '0851 3340903',
    email: 'scheune@innstadt.demo',
    city: 'Passau',
    zip: '94032',
    street: 'Lederergasse 14',
    country: 'base.de',
    project: 'kinderbuehne_passau',
    status: 'public',
    image: null,
  },
  {
    key: 'jugendzentrum_isarbruecke',
    name: 'Jugendzentrum Isarbrücke',
    phone: '0871 2290404',
    email: 'juz@isarbruecke.demo',
    city: 'Landshut',
    zip: '84028',
    street: 'Ländgasse 51',
    country: 'base.de',
    project: 'buehnenwerk_landshut',
    status: 'active',
    image: null,
  },
  {
    key: 'probenraum_gaeuboden',
    name: 'Probenraum Gäubodenhalle',
    phone: '09421 660305',
    email: 'halle@gaeuboden.demo',
    city: 'Straubing',
    zip: '94315',
    street: 'Stadtgraben 3',
    country: 'base.de',
    project: null,
    status: 'new',
    image: null,
  },
  {
    key: 'werkraum_kassberg',
    name: 'Werkraum Kaßberg',
    phone: '0371 4482106',
    email: 'hallo@werkraum-kassberg.demo',
    city: 'Chemnitz',
    zip: '09111',
    street: 'Weststraße 63',
    country: 'base.de',
    project: 'werkraum_chemnitz',
    status: 'public',
    image: null,
  },
  {
    key: 'buehnenhaus_neustadt',
    name: 'Bühnenhaus Neustadt',
    phone: '0351 8061407',
    email: 'buehne@neustadt-dd.demo',
    city: 'Dresden',
    zip: '01097',
    street: 'Louisenstraße 42',
    country: 'base.de',
    project: 'forumtheater_dresden',
    status: 'public',
    image: null,
  },
  {
    key: 'kulturhaus_altmarkt',
    name: 'Kulturhaus Altmarkt',
    phone: '0351 4412308',
    email: 'programm@kulturhaus-altmarkt.demo',
    city: 'Dresden',
    zip: '01067',
    street: 'Wilsdruffer Straße 9',
    country: 'base.de',
    project: null,
    status: 'synced',
    image: null,
  },
  {
    key: 'probebuehne_lindenau',
    name: 'Probebühne Lindenau',
    phone: '0341 2219409',
    email: 'probe@lindenau.demo',
    city: 'Leipzig',
    zip: '04177',
    street: 'Karl-Heine-Straße 50',
    country: 'base.de',
    project: 'jugendclub_leipzig',
    status: 'public',
    image: null,
  },
  {
    key: 'spielstaette_connewitz',
    name: 'Spielstätte Connewitz',
    phone: '0341 3320510',
    email: 'team@spielstaette-connewitz.demo',
    city: 'Leipzig',
    zip: '04277',
    street: 'Bornaische Straße 3',
    country: 'base.de',
    project: null,
    status: 'active',
    image: null,
  },
  {
    key: 'brueckenhaus_goerlitz',
    name: 'Brückenhaus Görlitz',
    phone: '03581 764011',
    email: 'most@brueckenhaus.demo',
    city: 'Görlitz',
    zip: '02826',
    street: 'Neißstraße 30',
    country: 'base.de',
    project: 'grenzgaenger',
    status: 'public',
    image: null,
  },
  {
    key: 'saal_schwanenteich',
    name: 'Saal am Schwanenteich',
    phone: '0375 5590212',
    email: 'saal@schwanenteich.demo',
    city: 'Zwickau',
    zip: '08056',
    street: 'Parkstraße 12',
    country: 'base.de',
    project: null,
    status: 'active',
    image: null,
  },
  {
    key: 'alte_gaertnerei',
    name: 'Alte Gärtnerei Bamberg',
    phone: '0951 9120313',
    email: 'werkstatt@alte-gaertnerei.demo',
    city: 'Bamberg',
    zip: '96047',
    street: 'Mittelstraße 19',
    country: 'base.de',
    project: 'maskenwerkstatt',
    status: 'public',
    image: null,
  },
  {
    key: 'kellerbuehne_sanderau',
    name: 'Kellerbühne Sanderau',
    phone: '0931 3501414',
    email: 'keller@sanderau.demo',
    city: 'Würzburg',
    zip: '97072',
    street: 'Sanderstraße 25',
    country: 'base.de',
    project: 'kellerbuehne_wuerzburg',
    status: 'active',
    image: null,
  },
  {
    key: 'hinterhof_gostenhof',
    name: 'Hinterhoftheater Gostenhof',
    phone: '0911 2640515',
    email: 'hof@gostenhof-theater.demo',
    city: 'Nürnberg',
    zip: '90429',
    street: 'Fürther Straße 88',
    country: 'base.de',
    project: 'hinterhof_nuernberg',
    status: 'public',
    image: null,
  },
  {
    key: 'theaterwerkstatt_erlangen',
    name: 'Theaterwerkstatt Erlangen',
    phone: '09131 880616',
    email: 'werkstatt@theater-erlangen.demo',
    city: 'Erlangen',
    zip: '91054',
    street: 'Hauptstraße 77',
    country: 'base.de',
    project: null,
    status: 'active',
    image: null,
  },
  {
    key: 'klub_kultury_cheb',
    name: 'Klub kultury Cheb',
    phone: null,
    email: 'klub@kultura-cheb.demo',
    city: 'Cheb',
    zip: '350 02',
    street: 'Kamenná 12',
    country: 'base.cz',
    project: 'grenzgaenger',
    status: 'active',
    image: null,
  },
  {
    key: 'divadelni_dilna_plzen',
    name: 'Divadelní dílna Plzeň',
    phone: null,
    email: 'dilna@divadlo-plzen.demo',
    city: 'Plzeň',
    zip: '301 00',
    street: 'Pražská 21',
    country: 'base.cz',
    project: 'grenzgaenger',
    status: 'public',
    image: null,
  },
  {
    key: 'exerzierhalle_ingolstadt',
    name: 'Exerzierhalle Ingolstadt',
    phone: '0841 9930719',
    email: 'halle@exerzierhalle-in.demo',
    city: 'Ingolstadt',
    zip: '85049',
    street: 'Proviantstraße 1',
    country: 'base.de',
    project: null,
    status: 'new',
    image: null,
  },
  {
    key: 'spielboden_kraemerbruecke',
    name: 'Spielboden Krämerbrücke',
    phone: '0361 6620720',
    email: 'spielboden@kraemerbruecke.demo',
    city: 'Erfurt',
    zip: '99084',
    street: 'Gotthardtstraße 4',
    country: 'base.de',
    project: 'erzaehlcafe_erfurt',
    status: 'active',
    image: null,
  },
  {
    key: 'kulturscheune_weiden',
    name: 'Kulturscheune Weiden',
    phone: '0961 4810821',
    email: 'scheune@weiden-kultur.demo',
    city: 'Weiden i.d.OPf.',
    zip: '92637',
    street: 'Schulgasse 6',
    country: 'base.de',
    project: null,
    status: 'deleted',
    image: null,
  },
];

interface DemoEvent {
  key: string;
  name: string;
  begin: string;
  end: string;
  location: string;
  instructors: string[]; // the first one is public_user
  organiser: string | null; // user sysmail
  project: string;
  legacyStatus: string | null;
  status: { table: 'events'; name: string };
  eventType: string;
  rectitle: string;
  teaser: string;
  tags: string[];
  lang: 'de' | 'en' | 'cz';
  image: string | null;
}

function event(
  key: string,
  name: string,
  begin: string,
  end: string,
  location: string,
  instructorKeys: string[],
  project: string,
  legacyStatus: string | null,
  statusName: string,
  eventType: string,
  rectitle: string,
  teaser: string,
  tags: string[],
  extra: { organiser?: string; lang?: 'de' | 'en' | 'cz'; image?: string } = {},
): DemoEvent {
  return {
    key,
    name,
    begin,
    end,
    location,
    instructors: instructorKeys,
    organiser: extra.organiser ?? null,
    project,
    legacyStatus,
    status: { table: 'events', name: statusName },
    eventType,
    rectitle,
    teaser,
    tags,
    lang: extra.lang ?? 'de',
    image: extra.image ?? null,
  };
}

// Events whose legacy status maps above 2 ('published', 'active', 'final') have a public_user that is
// linked to a user account: lena, jonas, tobias, selin, matthias, petra, hannah.
const events: DemoEvent[] = [
  event(
    'impro_donaumarkt',
    'Improtheater **Spiel ohne Netz**',
    '2025-10-04 10:00:00',
    '2025-10-04 16:00:00',
    'spielhaus_donaumarkt',
    ['lena_hofbauer'],
    'spielraum_regensburg',
    'published',
    'publish',
    'workshop',
    'Impro-Workshop',
    'Ein Tag voller Spielangebote, Szenen aus dem Stegreif und Geschichten, die erst auf der Bühne entstehen. Keine Vorkenntnisse nötig.',
    ['adult'],
    { organiser: 'lena.hofbauer@crearis.demo', image: '_demo.image_probebuehne' },
  ),
  event(
    'wolkenfabrik_stadtamhof',
    '**Die Wolkenfabrik** – Kindertheater (6–10 Jahre)',
    '2025-10-11 14:00:00',
    '2025-10-11 16:30:00',
    'kulturspeicher_stadtamhof',
    ['jonas_wiesinger', 'lena_hofbauer'],
    'spielraum_regensburg',
    'published',
    'confirmed',
    'workshop',
    'Kinder-Workshop',
    'Wo kommen eigentlich die Wolken her? Gemeinsam bauen wir eine Fabrik aus Pappe, Licht und Fantasie – und spielen darin.',
    ['child'],
  ),
  event(
    'stimme_praesenz_landshut',
    'Stimme & Präsenz **für Spielleitungen**',
    '2025-10-18 09:30:00',
    '2025-10-18 17:00:00',
    'jugendzentrum_isarbruecke',
    ['ruth_obermaier'],
    'buehnenwerk_landshut',
    'draft',
    'draft',
    'course',
    'Fortbildung',
    'Atem, Resonanz und Raum: eine praktische Fortbildung für alle, die Gruppen anleiten.',
    ['adult'],
  ),
  event(
    'jugendstueck_isar',
    'Jugendtheater **Ufer ohne Brücke**',
    '2025-11-07 17:00:00',
    '2025-11-09 20:00:00',
    'jugendzentrum_isarbruecke',
    ['matthias_brandl', 'ruth_obermaier'],
    'buehnenwerk_landshut',
    'active',
    'running',
    'project',
    'Stückentwicklung',
    'Drei Tage, eine Gruppe, ein eigenes Stück: Jugendliche schreiben und spielen über das, was sie bewegt.',
    ['teen'],
  ),
  event(
    'kinderclub_innstadt',
    'Kinderspielclub **Drei Flüsse**',
    '2025-10-15 15:00:00',
    '2025-12-17 16:30:00',
    'theaterscheune_innstadt',
    ['jonas_wiesinger'],
    'kinderbuehne_passau',
    'published',
    'publish',
    'course',
    'Spielclub',
    'Jeden Mittwoch: Bewegungsspiele, Figurentheater und kleine Szenen für Kinder von 6 bis 12.',
    ['child'],
  ),
  event(
    'forumabend_neustadt',
    'Forumtheater-Abend **Wem gehört die Straße?**',
    '2025-10-23 19:00:00',
    '2025-10-23 22:00:00',
    'buehnenhaus_neustadt',
    ['tobias_kuehn', 'marija_petrovic'],
    'forumtheater_dresden',
    'published',
    'released',
    'performance',
    'Forumabend',
    'Eine Szene über Verdrängung im Viertel – das Publikum darf stoppen, einsteigen und Alternativen ausprobieren.',
    ['adult', 'location'],
  ),
  event(
    'tdu_fortbildung_dresden',
    '**Theater der Unterdrückten** – Aufbaukurs',
    '2025-11-14 09:00:00',
    '2025-11-16 16:00:00',
    'kulturhaus_altmarkt',
    ['tobias_kuehn', 'nadia_haddad'],
    'forumtheater_dresden',
    'final',
    'documented',
    'course',
    'TdU-Aufbaukurs',
    'Drei Tage Joker-Training, Bildertheater und Regenbogen der Wünsche für Multiplikator*innen mit Vorerfahrung.',
    ['adult'],
  ),
  event(
    'jugendclub_lindenau',
    'Jugendclub **Schreiben & Spielen**',
    '2025-10-09 17:30:00',
    '2025-12-18 20:00:00',
    'probebuehne_lindenau',
    ['hannah_engel', 'nadia_haddad'],
    'jugendclub_leipzig',
    'published',
    'publish',
    'course',
    'Jugendclub',
    'Donnerstags in Lindenau: Texte schreiben, Szenen bauen, streiten und spielen – für 14- bis 21-Jährige.',
    ['teen'],
  ),
  event(
    'medienlabor_connewitz',
    'Medienlabor **Bühne & Smartphone**',
    '2025-11-22 11:00:00',
    '2025-11-22 18:00:00',
    'spielstaette_connewitz',
    ['nadia_haddad'],
    'jugendclub_leipzig',
    'draft',
    'draft',
    'workshop',
    'Medienlabor',
    'Wie erzählt man eine Szene im Hochformat? Ein Labor zwischen Theater und Kurzvideo.',
    ['teen'],
  ),
  event(
    'begegnung_goerlitz',
    'Jugendbegegnung **Most / Brücke**',
    '2025-10-27 10:00:00',
    '2025-10-31 15:00:00',
    'brueckenhaus_goerlitz',
    ['petra_horakova', 'friederike_scholz'],
    'grenzgaenger',
    'published',
    'confirmed',
    'project',
    'Begegnung',
    'Fünf Tage Theater auf beiden Seiten der Neiße – mit Sprachanimation, Probenarbeit und Abschlussfest.',
    ['teen', 'location'],
  ),
  event(
    'divadelni_dilna_plzen',
    '**Divadelní dílna** – improvizace',
    '2025-11-29 10:00:00',
    '2025-11-29 15:00:00',
    'divadelni_dilna_plzen',
    ['petra_horakova', 'ondrej_dvorak'],
    'grenzgaenger',
    'published',
    'publish',
    'workshop',
    'Dílna',
    'Sobotní dílna improvizace pro mladé lidi od 15 let. Hrajeme česky i německy.',
    ['teen'],
    { lang: 'cz' },
  ),
  event(
    'klub_cheb_zimni',
    'Zimní klub **Hraničáři**',
    '2026-01-17 13:00:00',
    '2026-01-18 17:00:00',
    'klub_kultury_cheb',
    ['ondrej_dvorak'],
    'grenzgaenger',
    null,
    'draft',
    'workshop',
    'Zimní klub',
    'Víkendový klub pro mládež z Chebu a Waldsassenu.',
    ['teen'],
    { lang: 'cz' },
  ),
  event(
    'erzaehlcafe_gostenhof',
    'Erzählcafé **Mein erstes Zuhause**',
    '2025-10-12 15:00:00',
    '2025-10-12 18:00:00',
    'hinterhof_gostenhof',
    ['selin_arslan'],
    'hinterhof_nuernberg',
    'published',
    'passed',
    'performance',
    'Erzählcafé',
    'Nachbar*innen erzählen von ihrer ersten Wohnung – wir spielen die Erinnerungen bei Kaffee und Börek nach.',
    ['adult', 'location'],
  ),
  event(
    'hoffest_gostenhof',
    '**Hoffest** mit Szenen aus dem Viertel',
    '2026-06-20 14:00:00',
    '2026-06-20 22:00:00',
    'hinterhof_gostenhof',
    ['selin_arslan', 'emeka_okafor'],
    'hinterhof_nuernberg',
    'new',
    'draft',
    'festival',
    'Hoffest',
    'Sommerfest im Hinterhof mit Kurzszenen, Musik und offener Bühne. Eintritt frei.',
    ['child', 'adult'],
  ),
  event(
    'generationen_sanderau',
    'Generationentheater **Zwischen den Jahren**',
    '2025-12-27 16:00:00',
    '2025-12-29 19:00:00',
    'kellerbuehne_sanderau',
    ['yuki_tanaka_berg'],
    'kellerbuehne_wuerzburg',
    'draft',
    'draft',
    'project',
    'Generationenprojekt',
    'Studierende und Senior*innen erfinden gemeinsam Szenen über Rituale zwischen Weihnachten und Neujahr.',
    ['adult'],
  ),
  event(
    'masken_gaertnerei',
    'Maskenbau **Commedia dell’Arte**',
    '2025-11-08 10:00:00',
    '2025-11-09 17:00:00',
    'alte_gaertnerei',
    ['ida_lindqvist'],
    'maskenwerkstatt',
    'idea',
    'draft',
    'workshop',
    'Masken-Workshop',
    'Wir formen Halbmasken aus Pappmaché und erproben Haltungen von Arlecchino bis Pantalone. Course language: English/German.',
    ['adult'],
    { lang: 'en' },
  ),
  event(
    'storytelling_erlangen',
    '**Storytelling mit Trommel und Stimme**',
    '2025-12-06 14:00:00',
    '2025-12-06 18:00:00',
    'theaterwerkstatt_erlangen',
    ['emeka_okafor', 'selin_arslan'],
    'hinterhof_nuernberg',
    null,
    'released',
    'workshop',
    'Storytelling',
    'Geschichten hören, weitererzählen und mit Rhythmus verwandeln – für Familien mit Kindern ab 8.',
    ['child', 'adult'],
  ),
  event(
    'erzaehlcafe_kraemerbruecke',
    'Erzählcafé **Als ich jung war**',
    '2025-10-30 15:00:00',
    '2025-10-30 17:30:00',
    'spielboden_kraemerbruecke',
    ['hannah_engel'],
    'erzaehlcafe_erfurt',
    'published',
    'publish',
    'performance',
    'Erzählcafé',
    'Ältere Erfurter*innen erzählen, junge Spieler*innen setzen in Szene. Anmeldung unter 0361 7780319.',
    ['adult'],
  ),
  event(
    'sommerakademie_2026',
    'Sommerakademie **Spiel & Raum 2026**',
    '2026-08-03 09:00:00',
    '2026-08-08 13:00:00',
    'kulturhaus_altmarkt',
    ['lena_hofbauer', 'tobias_kuehn', 'selin_arslan'],
    'sommerakademie',
    'published',
    'confirmed',
    'course',
    'Sommerakademie',
    'Sechs Tage Fortbildung mit drei Spuren: Improvisation, Forumtheater und Biografiearbeit. Mit Zertifikat.',
    ['adult'],
    { organiser: 'clara.weidinger@crearis.demo' },
  ),
  event(
    'zirkus_schwanenteich',
    'Clownerie & Zirkus **Kopfüber**',
    '2026-02-14 10:00:00',
    '2026-02-15 15:00:00',
    'saal_schwanenteich',
    ['aleksander_nowak'],
    'werkraum_chemnitz',
    null,
    'draft',
    'workshop',
    'Zirkus-Workshop',
    'Jonglage, Akrobatik und Slapstick für Kinder von 7 bis 12 – mit Mini-Aufführung am Sonntag.',
    ['child'],
  ),
  event(
    'inklusiv_ingolstadt',
    '**Inklusives Theater** mit Gebärdensprache',
    '2026-03-07 10:00:00',
    '2026-03-07 16:00:00',
    'exerzierhalle_ingolstadt',
    ['sophie_gruber', 'matthias_brandl'],
    'schultheater_netz',
    'draft',
    'draft',
    'workshop',
    'Inklusion',
    'Ein barrierearmer Workshop für gehörlose und hörende Spieler*innen mit Dolmetschung in DGS.',
    ['teen', 'adult'],
  ),
];

interface DemoPost {
  key: string;
  name: string;
  teaser: string;
  author: string; // instructor key
  project: string;
  postDate: string;
  events: string[];
  legacyStatus: string;
  status: { table: 'posts'; name: string };
  tags: string[];
  lang: 'de' | 'en' | 'cz';
  image: string | null;
}

function post(
  key: string,
  name: string,
  teaser: string,
  author: string,
  project: string,
  postDate: string,
  eventKeys: string[],
  legacyStatus: string,
  statusName: string,
  tags: string[],
  lang: 'de' | 'en' | 'cz' = 'de',
  image: string | null = null,
): DemoPost {
  return {
    key,
    name,
    teaser,
    author,
    project,
    postDate,
    events: eventKeys,
    legacyStatus,
    status: { table: 'posts', name: statusName },
    tags,
    lang,
    image,
  };
}

const posts: DemoPost[] = [
  post(
    '01',
    '**Spielen ohne Netz** Warum Improvisation mutig macht',
    'Lena Hofbauer erzählt, wie aus „Ja, und …“ eine Haltung wird – auf der Bühne und im Alltag.',
    'lena_hofbauer',
    'spielraum_regensburg',
    '2025-09-12',
    ['impro_donaumarkt'],
    'published',
    'released',
    ['adult'],
    'de',
    '_demo.image_probebuehne',
  ),
  post(
    '02',
    '**Eine Fabrik für Wolken** Kindertheater aus dem Karton',
    'Jonas Wiesinger über Pappe, Taschenlampen und die Frage, warum Kinder die besten Dramaturg*innen sind.',
    'jonas_wiesinger',
    'spielraum_regensburg',
    '2025-09-18',
    ['wolkenfabrik_stadtamhof'],
    'published',
    'publish',
    ['child'],
  ),
  post(
    '03',
    '**Atem ist Präsenz** Fünf Übungen für Spielleitungen',
    'Ruth Obermaier teilt Übungen, die vor jeder Probe helfen – vom Gähnen bis zum Resonanzraum.',
    'ruth_obermaier',
    'buehnenwerk_landshut',
    '2025-09-20',
    ['stimme_praesenz_landshut'],
    'draft',
    'draft',
    ['adult'],
  ),
  post(
    '04',
    '**Ufer ohne Brücke** Jugendliche schreiben ihr eigenes Stück',
    'Wie eine Gruppe aus Landshut in drei Tagen vom leeren Blatt zur Premiere kommt.',
    'matthias_brandl',
    'buehnenwerk_landshut',
    '2025-10-02',
    ['jugendstueck_isar'],
    'published',
    'publish',
    ['teen'],
  ),
  post(
    '05',
    '**Drei Flüsse, ein Spielclub** Ein Jahr Kinderbühne Passau',
    'Rückblick auf ein Jahr Mittwochsclub – mit 24 Kindern, 3 Aufführungen und unzähligen Taschenlampen.',
    'jonas_wiesinger',
    'kinderbuehne_passau',
    '2025-09-25',
    ['kinderclub_innstadt'],
    'published',
    'released',
    ['child'],
  ),
  post(
    '06',
    '**Wem gehört die Straße?** Forumtheater zur Verdrängung',
    'Tobias Kühn über einen Abend, an dem das Publikum den Vermieter dreimal gestoppt hat.',
    'tobias_kuehn',
    'forumtheater_dresden',
    '2025-10-25',
    ['forumabend_neustadt'],
    'published',
    'released',
    ['adult', 'location'],
  ),
  post(
    '07',
    '**Joker sein** Was Moderation im Forumtheater ausmacht',
    'Neugierig bleiben, nicht bewerten, Fragen zurückgeben: Notizen aus dem Aufbaukurs.',
    'tobias_kuehn',
    'forumtheater_dresden',
    '2025-11-18',
    ['tdu_fortbildung_dresden'],
    'published',
    'publish',
    ['adult'],
  ),
  post(
    '08',
    '**Mehrsprachig proben** Erfahrungen aus der Neustadt',
    'Marija Petrović arbeitet mit Jugendlichen aus elf Ländern – und mit einer Probensprache aus Gesten.',
    'marija_petrovic',
    'forumtheater_dresden',
    '2025-09-30',
    [],
    'draft',
    'progress',
    ['teen'],
  ),
  post(
    '09',
    '**Schreiben & Spielen** Der Jugendclub Leipzig-West stellt sich vor',
    'Donnerstags ist Lindenau laut: ein Besuch im Jugendclub, der Texte und Szenen zugleich baut.',
    'hannah_engel',
    'jugendclub_leipzig',
    '2025-10-10',
    ['jugendclub_lindenau'],
    'published',
    'publish',
    ['teen'],
  ),
  post(
    '10',
    '**Hochformat-Theater?** Notizen zum Medienlabor',
    'Nadia Haddad über Szenen, die fürs Smartphone gedacht sind, und was die Bühne davon lernen kann.',
    'nadia_haddad',
    'jugendclub_leipzig',
    '2025-11-24',
    ['medienlabor_connewitz'],
    'draft',
    'draft',
    ['teen'],
  ),
  post(
    '11',
    '**Most / Brücke** Fünf Tage an der Neiße',
    'Petra Horáková und Friederike Scholz berichten von einer Jugendbegegnung ohne gemeinsame Sprache – und mit viel Theater.',
    'petra_horakova',
    'grenzgaenger',
    '2025-11-03',
    ['begegnung_goerlitz'],
    'published',
    'released',
    ['teen', 'location'],
  ),
  post(
    '12',
    '**Divadlo bez hranic** Improvizace v Plzni',
    'Ondřej Dvořák o tom, proč improvizace funguje i bez společného jazyka.',
    'ondrej_dvorak',
    'grenzgaenger',
    '2025-12-01',
    ['divadelni_dilna_plzen'],
    'published',
    'publish',
    ['teen'],
    'cz',
  ),
  post(
    '13',
    '**Zimní klub** Pozvánka do Chebu',
    'Víkend plný her, scén a horkého čaje pro mladé z obou stran hranice.',
    'ondrej_dvorak',
    'grenzgaenger',
    '2025-12-15',
    ['klub_cheb_zimni'],
    'draft',
    'draft',
    ['teen'],
    'cz',
  ),
  post(
    '14',
    '**Mein erstes Zuhause** Erinnerungen werden Szenen',
    'Selin Arslan über ein Erzählcafé, in dem 40 Nachbar*innen ihre erste Wohnung beschrieben haben.',
    'selin_arslan',
    'hinterhof_nuernberg',
    '2025-10-14',
    ['erzaehlcafe_gostenhof'],
    'published',
    'released',
    ['adult', 'location'],
  ),
  post(
    '15',
    '**Hoffest 2026** Save the date!',
    'Am 20. Juni wird der Hinterhof wieder zur Bühne – wer spielen möchte, meldet sich bis Ostern.',
    'selin_arslan',
    'hinterhof_nuernberg',
    '2026-01-08',
    ['hoffest_gostenhof'],
    'draft',
    'draft',
    ['child', 'adult'],
  ),
  post(
    '16',
    '**Zwischen den Jahren** Generationentheater im Keller',
    'Yuki Tanaka-Berg erklärt, warum Rituale ein guter Anfang für gemeinsames Spielen sind.',
    'yuki_tanaka_berg',
    'kellerbuehne_wuerzburg',
    '2025-11-30',
    ['generationen_sanderau'],
    'draft',
    'progress',
    ['adult'],
  ),
  post(
    '17',
    '**Masks speak louder** Commedia workshop in Bamberg',
    'Ida Lindqvist on papier-mâché, neutral masks and the joy of exaggeration.',
    'ida_lindqvist',
    'maskenwerkstatt',
    '2025-10-20',
    ['masken_gaertnerei'],
    'published',
    'publish',
    ['adult'],
    'en',
  ),
  post(
    '18',
    '**Trommel, Stimme, Geschichte** Storytelling für Familien',
    'Emeka Okafor über Erzählkreise, in denen Kinder die Geschichte weiterspinnen.',
    'emeka_okafor',
    'hinterhof_nuernberg',
    '2025-12-08',
    ['storytelling_erlangen'],
    'published',
    'released',
    ['child', 'adult'],
  ),
  post(
    '19',
    '**Als ich jung war** Erzählcafé an der Krämerbrücke',
    'Hannah Engel über Biografiearbeit mit Älteren – und warum die Jüngsten am meisten zuhören.',
    'hannah_engel',
    'erzaehlcafe_erfurt',
    '2025-11-02',
    ['erzaehlcafe_kraemerbruecke'],
    'published',
    'publish',
    ['adult'],
  ),
  post(
    '20',
    '**Sommerakademie 2026** Das Programm ist da',
    'Drei Spuren, sechs Tage, ein Tagungshaus: alle Infos zur Sommerakademie Spiel & Raum.',
    'lena_hofbauer',
    'sommerakademie',
    '2026-01-15',
    ['sommerakademie_2026'],
    'published',
    'publish',
    ['adult'],
  ),
  post(
    '21',
    '**Kopfüber ins Wochenende** Zirkus für Kinder in Zwickau',
    'Aleksander Nowak lädt zu zwei Tagen Jonglage, Akrobatik und Clownerie ein.',
    'aleksander_nowak',
    'werkraum_chemnitz',
    '2026-01-20',
    ['zirkus_schwanenteich'],
    'draft',
    'draft',
    ['child'],
  ),
  post(
    '22',
    '**Theater für alle Sinne** Inklusion mit Gebärdensprache',
    'Sophie Gruber über barrierearme Proben und warum Dolmetscher*innen mitspielen.',
    'sophie_gruber',
    'schultheater_netz',
    '2026-02-10',
    ['inklusiv_ingolstadt'],
    'draft',
    'draft',
    ['teen', 'adult'],
  ),
  post(
    '23',
    '**Darstellendes Spiel** im Lehrplan – eine Bestandsaufnahme',
    'Matthias Brandl hat 30 Schulen in Niederbayern gefragt, wie Theater im Stundenplan vorkommt.',
    'matthias_brandl',
    'schultheater_netz',
    '2025-09-28',
    [],
    'published',
    'released',
    ['teen'],
  ),
  post(
    '24',
    '**Bühnenbild aus Restholz** Werkstattbericht vom Kaßberg',
    'Konstantin Lehner zeigt, wie aus Paletten und Stoffresten ein drehbares Bühnenbild wird.',
    'konstantin_lehner',
    'werkraum_chemnitz',
    '2025-10-05',
    [],
    'published',
    'publish',
    ['location'],
  ),
  post(
    '25',
    '**Puppen auf Wanderschaft** Mit der Wanderbühne durch die Oberpfalz',
    'Bernd Vötter erzählt von 40 Auftritten in Dorfsälen, Schulen und Scheunen.',
    'bernd_voetter',
    'spielraum_regensburg',
    '2025-09-08',
    [],
    'published',
    'released',
    ['child', 'location'],
  ),
  post(
    '26',
    '**Grenzen spielen** Theaterarbeit an der Neiße',
    'Friederike Scholz über zehn Jahre Jugendtheater zwischen Görlitz und Zgorzelec.',
    'friederike_scholz',
    'grenzgaenger',
    '2025-10-18',
    [],
    'draft',
    'progress',
    ['teen', 'location'],
  ),
  post(
    '27',
    '**Psací dílna** Texty pro amatérské soubory',
    'Miroslav Kříž o tom, jak psát pro soubory, které mají osm herců a jednu lampu.',
    'miroslav_kriz',
    'grenzgaenger',
    '2025-11-12',
    [],
    'draft',
    'draft',
    ['adult'],
    'cz',
  ),
  post(
    '28',
    '**Traumasensibel anleiten** Was Spielleitungen wissen sollten',
    'Nadia Haddad über Sicherheit, Freiwilligkeit und das Recht, nicht mitzuspielen.',
    'nadia_haddad',
    'forumtheater_dresden',
    '2025-12-03',
    ['tdu_fortbildung_dresden'],
    'published',
    'publish',
    ['adult'],
  ),
  post(
    '29',
    '**Butoh für Einsteiger*innen** Langsamkeit als Ausdruck',
    'Yuki Tanaka-Berg about slowness, gravity and why less movement can say more.',
    'yuki_tanaka_berg',
    'kellerbuehne_wuerzburg',
    '2025-09-16',
    [],
    'published',
    'publish',
    ['adult'],
    'en',
  ),
  post(
    '30',
    '**Zehn Jahre Spielraum** Eine Chronik in Bildern',
    'Von der ersten offenen Gruppe 2014 bis zum Netzwerk Ostbayern – ein Rückblick mit Fotos und Stimmen.',
    'lena_hofbauer',
    'ostbayern',
    '2025-12-20',
    ['impro_donaumarkt', 'wolkenfabrik_stadtamhof'],
    'published',
    'released',
    ['location'],
    'de',
    '_demo.image_donau_panorama',
  ),
];

interface DemoParticipant {
  key: string;
  name: string;
  age: number;
  city: string;
  country: 'base.de' | 'base.cz';
  type: 'children' | 'teens' | 'adults';
  description: string;
  events: string[];
  status: string;
}

const childNames = [
  'Mila Brunner',
  'Elias Hölzl',
  'Amira Yousef',
  'Finn Lehmeier',
  'Ronja Pfaff',
  'Malik Ceylan',
  'Lotte Kreuzer',
  'Noah Schwarzer',
  'Zeynep Aksoy',
  'Anton Fürst',
  'Klára Svobodová',
  'Jakob Wimmer',
  'Leni Ostermeier',
  'Timur Rashidov',
  'Paula Ziegler',
];
const teenNames = [
  'Luisa Hartl',
  'Samir Benali',
  'Johanna Köhler',
  'Vojtěch Král',
  'Emily Sauter',
  'Daniel Popescu',
  'Aylin Yıldız',
  'Moritz Seidl',
  'Tereza Malá',
  'Leon Baumgartner',
  'Nour Khalil',
  'Greta Hufnagel',
  'Kilian Reiß',
  'Marta Kowalska',
  'Jonathan Ebner',
];
const adultNames = [
  'Ursula Riedl',
  'Dragan Marković',
  'Susanne Feldmeier',
  'Karim Mansour',
  'Ingrid Plötz',
  'Wolfgang Sturm',
  'Hana Procházková',
  'Thomas Lindner',
  'Fatma Öztürk',
  'Gerhard Moosbauer',
  'Renate Zehetmair',
  'Olena Bondarenko',
  'Michael Haberl',
  'Birgit Schöpf',
  'Jiří Beneš',
];

const participantCities: ReadonlyArray<[string, 'base.de' | 'base.cz']> = [
  ['Regensburg', 'base.de'],
  ['Passau', 'base.de'],
  ['Leipzig', 'base.de'],
  ['Dresden', 'base.de'],
  ['Nürnberg', 'base.de'],
  ['Görlitz', 'base.de'],
  ['Erfurt', 'base.de'],
  ['Landshut', 'base.de'],
  ['Plzeň', 'base.cz'],
  ['Würzburg', 'base.de'],
];

const childTraits = [
  'spielt am liebsten Tiere und Fabelwesen',
  'erfindet ständig neue Geschichten',
  'ist mutig auf der Bühne und schüchtern im Pausenhof',
  'liebt Verkleidungen und Hüte',
  'baut gern Requisiten aus Pappe',
];
const teenTraits = [
  'schreibt Szenen über Freundschaft und Streit',
  'interessiert sich für Licht und Technik',
  'möchte später Schauspiel studieren',
  'spielt in zwei Sprachen',
  'organisiert die Proben der Gruppe',
];
const adultTraits = [
  'hat das Theaterspielen in Rente entdeckt',
  'nutzt Forumtheater in der Sozialarbeit',
  'spielt seit Jahren im Laienensemble',
  'erzählt gern Geschichten aus der alten Heimat',
  'kam über die Erzählcafés zur Gruppe',
];

function participantGroup(
  type: DemoParticipant['type'],
  keyPrefix: string,
  names: readonly string[],
  ages: { min: number; spread: number },
  traits: readonly string[],
  eventPool: readonly string[],
): DemoParticipant[] {
  return names.map((name, i) => {
    const [city, country] = participantCities[(i * 3 + keyPrefix.length) % participantCities.length];
    const firstName = name.split(' ')[0];
    return {
      key: `_demo.${keyPrefix}_${String(i + 1).padStart(2, '0')}`,
      name,
      age: ages.min + ((i * 7) % ages.spread),
      city,
      country,
      type,
      description: `${firstName} aus ${city} ${traits[i % traits.length]}.`,
      events: [eventPool[i % eventPool.length], ...(i % 4 === 0 ? [eventPool[(i + 3) % eventPool.length]] : [])],
      status: i % 5 === 0 ? 'new' : i % 7 === 0 ? 'synced' : 'active',
    };
  });
}

const participants: DemoParticipant[] = [
  ...participantGroup('children', 'child', childNames, { min: 6, spread: 6 }, childTraits, [
    'wolkenfabrik_stadtamhof',
    'kinderclub_innstadt',
    'storytelling_erlangen',
    'zirkus_schwanenteich',
    'hoffest_gostenhof',
  ]),
  ...participantGroup('teens', 'teen', teenNames, { min: 13, spread: 5 }, teenTraits, [
    'jugendstueck_isar',
    'jugendclub_lindenau',
    'begegnung_goerlitz',
    'divadelni_dilna_plzen',
    'medienlabor_connewitz',
    'inklusiv_ingolstadt',
  ]),
  ...participantGroup('adults', 'adult', adultNames, { min: 19, spread: 50 }, adultTraits, [
    'impro_donaumarkt',
    'forumabend_neustadt',
    'erzaehlcafe_gostenhof',
    'erzaehlcafe_kraemerbruecke',
    'generationen_sanderau',
    'masken_gaertnerei',
  ]),
];

interface DemoInteraction {
  name: string;
  user: string | null;
  project: string | null;
  minutes: number;
  status: string;
  actions: object | null;
  toMail: string | null;
  fromMail: string | null;
  subject: string | null;
  md: string | null;
  fields: object | null;
}

const interactions: DemoInteraction[] = [
  {
    name: 'kontaktformular',
    user: null,
    project: 'spielraum_regensburg',
    minutes: 60 * 24 * 20 + 75,
    status: 'new',
    actions: { notify: ['lena.hofbauer@crearis.demo'] },
    toMail: 'info@spielhaus-donaumarkt.demo',
    fromMail: 'anfrage@web.demo',
    subject: 'Frage zum Impro-Workshop',
    md: 'Hallo, gibt es noch **freie Plätze** am 4. Oktober?',
    fields: { name: 'Sabine Huber', telefon: '0941 0012345', plaetze: 2 },
  },
  {
    name: 'anmeldung',
    user: 'vera.klostermann@crearis.demo',
    project: 'erzaehlcafe_erfurt',
    minutes: 60 * 24 * 35 + 10,
    status: 'completed',
    actions: { confirm: true, waitlist: false },
    toMail: 'hannah.engel@crearis.demo',
    fromMail: 'vera.klostermann@crearis.demo',
    subject: 'Anmeldung Erzählcafé',
    md: null,
    fields: { event: '_demo.event_erzaehlcafe_kraemerbruecke', personen: 1, kaffee: 'schwarz' },
  },
  {
    name: 'newsletter',
    user: 'ben.whitfield@crearis.demo',
    project: null,
    minutes: 60 * 24 * 40,
    status: 'processed',
    actions: null,
    toMail: null,
    fromMail: 'ben@whitfield-stage.demo',
    subject: 'Newsletter subscription',
    md: null,
    fields: { lists: ['franken', 'sachsen'], lang: 'en' },
  },
  {
    name: 'kontaktformular',
    user: null,
    project: 'grenzgaenger',
    minutes: 60 * 24 * 41 + 300,
    status: 'spam',
    actions: { blocked: true },
    toMail: 'petra.horakova@crearis.demo',
    fromMail: 'win-now@promo.demo',
    subject: 'Sie haben gewonnen!!!',
    md: 'Klicken Sie [hier](http://promo.demo/x)',
    fields: {},
  },
];

interface DemoTask {
  id: string;
  name: string;
  description: string;
  category: 'project' | 'base' | 'admin' | 'main';
  priority: 'low' | 'medium' | 'high' | 'urgent';
  recordType: string | null;
  recordId: string | null;
  assignedTo: string | null;
  dueDate: string | null;
  completedAt: string | null;
  status: string;
  entityName: string | null;
  lang: 'de' | 'en' | 'cz';
}

const tasks: DemoTask[] = [
  {
    id: 'task_001',
    name: 'Fotos vom Impro-Tag hochladen',
    description: 'Mindestens fünf Bilder mit **Einverständniserklärung**.',
    category: 'project',
    priority: 'medium',
    recordType: 'event',
    recordId: '_demo.event_impro_donaumarkt',
    assignedTo: 'lena.hofbauer@crearis.demo',
    dueDate: '2025-10-10',
    completedAt: null,
    status: 'active',
    entityName: 'Improtheater Spiel ohne Netz',
    lang: 'de',
  },
  {
    id: 'task_002',
    name: 'Teaser für Forumabend kürzen',
    description: 'Maximal 160 Zeichen für die Übersicht.',
    category: 'project',
    priority: 'low',
    recordType: 'event',
    recordId: '_demo.event_forumabend_neustadt',
    assignedTo: 'tobias.kuehn@crearis.demo',
    dueDate: '2025-10-20',
    completedAt: '2025-10-19T18:30:00.000Z',
    status: 'final',
    entityName: 'Forumtheater-Abend',
    lang: 'de',
  },
  {
    id: 'task_003',
    name: 'Übersetzung der Anmeldung ins Tschechische',
    description: 'Formulartexte und Bestätigungsmail.',
    category: 'project',
    priority: 'high',
    recordType: 'project',
    recordId: 'grenzgaenger',
    assignedTo: 'petra.horakova@crearis.demo',
    dueDate: '2025-10-15',
    completedAt: null,
    status: 'draft',
    entityName: 'Grenzgänger',
    lang: 'cz',
  },
  {
    id: 'task_004',
    name: 'Status-Übersicht für Admins bauen',
    description: 'Alle Veranstaltungen mit Status > 2 ohne public_user auflisten.',
    category: 'admin',
    priority: 'urgent',
    recordType: null,
    recordId: null,
    assignedTo: 'clara.weidinger@crearis.demo',
    dueDate: '2025-09-30',
    completedAt: null,
    status: 'idea',
    entityName: null,
    lang: 'de',
  },
  {
    id: 'task_005',
    name: 'Orte ohne Telefonnummer prüfen',
    description: 'Tschechische Orte haben oft keine Nummer – bitte nachfragen.',
    category: 'base',
    priority: 'medium',
    recordType: 'location',
    recordId: '_demo.location_klub_kultury_cheb',
    assignedTo: 'georg.aumueller@crearis.demo',
    dueDate: null,
    completedAt: null,
    status: 'new',
    entityName: 'Klub kultury Cheb',
    lang: 'de',
  },
  {
    id: 'task_006',
    name: 'Programmheft 1998 verschlagworten',
    description: 'Scan ohne xmlid – Titel, Jahr und Ensemble ergänzen.',
    category: 'base',
    priority: 'low',
    recordType: 'image',
    recordId: null,
    assignedTo: null,
    dueDate: null,
    completedAt: null,
    status: 'reopen',
    entityName: 'Scan Programmheft 1998',
    lang: 'de',
  },
  {
    id: 'task_007',
    name: 'Landingpage Regio Franken',
    description: 'Texte und Headerbild für die Franken-Seite sammeln.',
    category: 'project',
    priority: 'high',
    recordType: 'project',
    recordId: 'franken',
    assignedTo: 'selin.arslan@crearis.demo',
    dueDate: '2025-11-30',
    completedAt: null,
    status: 'active',
    entityName: 'Regio Franken',
    lang: 'de',
  },
  {
    id: 'task_008',
    name: 'Masken-Workshop: English description',
    description: 'Write the course description in English as well.',
    category: 'project',
    priority: 'medium',
    recordType: 'event',
    recordId: '_demo.event_masken_gaertnerei',
    assignedTo: 'ben.whitfield@crearis.demo',
    dueDate: '2025-10-25',
    completedAt: null,
    status: 'draft',
    entityName: 'Maskenbau Commedia',
    lang: 'en',
  },
  {
    id: 'task_009',
    name: 'Alte Testdaten aufräumen',
    description: 'Doppelte Orte aus dem CSV-Import löschen.',
    category: 'main',
    priority: 'low',
    recordType: null,
    recordId: null,
    assignedTo: null,
    dueDate: null,
    completedAt: '2025-09-05T07:45:00.000Z',
    status: 'trash',
    entityName: null,
    lang: 'de',
  },
  {
    id: 'task_010',
    name: 'Sommerakademie: Unterkünfte anfragen',
    description: '25 Betten für 6 Nächte, barrierefrei.',
    category: 'project',
    priority: 'high',
    recordType: 'event',
    recordId: '_demo.event_sommerakademie_2026',
    assignedTo: 'clara.weidinger@crearis.demo',
    dueDate: '2026-03-01',
    completedAt: null,
    status: 'idea',
    entityName: 'Sommerakademie 2026',
    lang: 'de',
  },
];

interface DemoPage {
  project: string;
  pageType: 'landing' | 'event' | 'post' | 'team';
  headerType: 'simple' | 'columns' | 'banner' | 'cover' | 'bauchbinde';
  pageOptions: object;
  headerOptions: object;
  asideOptions: object;
  footerOptions: object;
}

const pages: DemoPage[] = [
  {
    project: 'spielraum_regensburg',
    pageType: 'landing',
    headerType: 'cover',
    pageOptions: { layout: 'wide', sections: ['events', 'posts'] },
    headerOptions: { claim: 'Spielen ohne Netz' },
    asideOptions: {},
    footerOptions: {},
  },
  {
    project: 'spielraum_regensburg',
    pageType: 'event',
    headerType: 'simple',
    pageOptions: {},
    headerOptions: {},
    asideOptions: { calendar: true },
    footerOptions: {},
  },
  {
    project: 'forumtheater_dresden',
    pageType: 'landing',
    headerType: 'bauchbinde',
    pageOptions: { layout: 'narrow' },
    headerOptions: {},
    asideOptions: {},
    footerOptions: { gallery: 'forum-2025' },
  },
  {
    project: 'grenzgaenger',
    pageType: 'team',
    headerType: 'columns',
    pageOptions: {},
    headerOptions: { columns: 2, lang: ['de', 'cz'] },
    asideOptions: {},
    footerOptions: {},
  },
];

// ─── Derived links (junction rows) ────────────────────────────────────────────────────────────────

interface MemberRow {
  project: string;
  sysmail: string;
  role: 'owner' | 'member';
}

function projectMemberRows(): MemberRow[] {
  return projects.flatMap((p) => [
    { project: p.domaincode, sysmail: p.owner, role: 'owner' as const },
    ...p.members.filter((m) => m !== p.owner).map((m) => ({ project: p.domaincode, sysmail: m, role: 'member' as const })),
  ]);
}

function eventInstructorRows(): Array<{ event: string; instructor: string }> {
  return events.flatMap((e) => e.instructors.map((i) => ({ event: e.key, instructor: i })));
}

const TAG_NAMES = ['child', 'adult', 'teen', 'location'] as const;

/** Each record keeps its own tags; records with one tag get one more, chosen by the seed. */
function tagRows<T extends { key: string; tags: string[] }>(random: Random, records: readonly T[]): Array<{ key: string; tag: string }> {
  return records.flatMap((r) => {
    const extra =
      r.tags.length === 1
        ? pickDistinct(
            random,
            TAG_NAMES.filter((t) => !r.tags.includes(t)),
            1,
          )
        : [];
    return [...r.tags, ...extra].map((tag) => ({ key: r.key, tag }));
  });
}

function countTagRows(records: ReadonlyArray<{ tags: string[] }>): number {
  return records.reduce((n, r) => n + (r.tags.length === 1 ? 2 : r.tags.length), 0);
}

/** Row counts per table that seedCrearisDemo adds on top of the schema's own seed rows. */
export const crearisDemoCounts = {
  users: users.length,
  projects: projects.length,
  project_members: projectMemberRows().length,
  images: images.length,
  instructors: instructors.length,
  locations: locations.length,
  participants: participants.length,
  posts: posts.length,
  events: events.length,
  events_tags: countTagRows(events),
  posts_tags: countTagRows(posts),
  event_instructors: eventInstructorRows().length,
  interactions: interactions.length,
  tasks: tasks.length,
  pages: pages.length,
} as const satisfies Record<string, number>;

// ─── Inserts, one statement per table (rows travel as one jsonb parameter) ────────────────────────

const eventXmlid = (key: string) => `_demo.event_${key}`;
const instructorXmlid = (key: string) => `_demo.instructor_${key}`;
const locationXmlid = (key: string) => `_demo.location_${key}`;
const postXmlid = (key: string) => `_demo.post_${key}`;

async function insertUsers(client: pg.ClientBase, random: Random): Promise<void> {
  await insertRows(
    client,
    `
    INSERT INTO users (sysmail, extmail, username, password, role, status_id, lang, created_at, updated_at)
    SELECT r.sysmail, r.extmail, r.username, r.password, r.role,
           (SELECT s.id FROM status s WHERE s."table" = 'users' AND s.name = r.status),
           r.lang, r.created_at, r.created_at
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, sysmail text, extmail text, username text, password text,
                                             role text, status text, lang text, created_at timestamp)
    ORDER BY r.ord`,
    users.map((u, i) => ({
      sysmail: u.sysmail,
      extmail: u.extmail,
      username: u.username,
      password: fakeBcryptHash(random),
      role: u.role,
      status: u.status,
      lang: u.lang,
      created_at: demoTimestamp(i * 90 + randomInt(random, 0, 59)),
    })),
  );
}

const PROJECTS_SQL = `
  INSERT INTO projects (domaincode, name, description, owner_id, created_at, updated_at, header_type, header_size, md, type, regio,
                        heading, cimg, teaser, team_page, cta_title, cta_entity, cta_link, is_company, config, member_ids,
                        header_alert, footer_sitemap, status_id)
  SELECT r.domaincode, r.name, r.description,
         (SELECT u.id FROM users u WHERE u.sysmail = r.owner),
         r.created_at, r.updated_at, r.header_type, r.header_size, r.md, r.type,
         (SELECT p.id FROM projects p WHERE p.domaincode = r.regio),
         r.heading, r.cimg, r.teaser, r.team_page, r.cta_title, r.cta_entity, r.cta_link, r.is_company, r.config,
         (SELECT COALESCE(jsonb_agg(u.id ORDER BY u.id), '[]'::jsonb) FROM users u WHERE u.sysmail IN (SELECT jsonb_array_elements_text(r.members))),
         COALESCE(r.header_alert, '{}'::jsonb), r.footer_sitemap,
         (SELECT s.id FROM status s WHERE s."table" = 'projects' AND s.name = r.status)
  FROM jsonb_to_recordset($1::jsonb) AS r(ord int, domaincode text, name text, description text, owner text, created_at timestamp,
                                           updated_at text, header_type text, header_size text, md text, type text, regio text,
                                           heading text, cimg text, teaser text, team_page text, cta_title text, cta_entity text,
                                           cta_link text, is_company boolean, config jsonb, members jsonb, header_alert jsonb,
                                           footer_sitemap text, status text)
  ORDER BY r.ord`;

function projectRow(p: DemoProject, index: number) {
  return {
    domaincode: p.domaincode,
    name: p.name,
    description: p.description,
    owner: p.owner,
    created_at: demoTimestamp(2000 + index * 45),
    updated_at: `2025-09-${String(2 + index).padStart(2, '0')}T10:00:00.000Z`,
    header_type: p.headerSize === 'large' ? 'cover' : 'simple',
    header_size: p.headerSize,
    md: `# ${p.heading}\n\n${p.teaser}\n\n${p.description}`,
    type: p.type,
    regio: p.regio,
    heading: p.heading,
    cimg: photoUrl(p.domaincode, 1600, 900),
    teaser: p.teaser,
    team_page: p.teamPage,
    cta_title: p.cta?.title ?? null,
    cta_entity: p.cta?.entity ?? null,
    cta_link: p.cta?.link ?? null,
    is_company: p.isCompany,
    config: p.config,
    members: p.members,
    header_alert: p.headerAlert,
    footer_sitemap: p.footerSitemap,
    status: p.status,
  };
}

async function insertProjects(client: pg.ClientBase): Promise<void> {
  // Regio projects first: the others point at them by domaincode.
  await insertRows(
    client,
    PROJECTS_SQL,
    regioProjects.map((p, i) => projectRow(p, i)),
  );
  await insertRows(
    client,
    PROJECTS_SQL,
    memberProjects.map((p, i) => projectRow(p, regioProjects.length + i)),
  );
}

async function insertProjectMembers(client: pg.ClientBase): Promise<void> {
  await insertRows(
    client,
    `
    INSERT INTO project_members (project_id, user_id, role, added_at)
    SELECT (SELECT p.id FROM projects p WHERE p.domaincode = r.project),
           (SELECT u.id FROM users u WHERE u.sysmail = r.sysmail),
           r.role, r.added_at
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, project text, sysmail text, role text, added_at timestamp)
    ORDER BY r.ord`,
    projectMemberRows().map((m, i) => ({ ...m, added_at: demoTimestamp(3000 + i * 7) })),
  );
}

const IMAGES_SQL = `
  INSERT INTO images (xmlid, name, url, project_id, status_id, owner_id, alt_text, title, date, geo, x, y,
                      shape_wide, shape_square, shape_vertical, shape_thumb, fileformat, license,
                      author, publisher, variations, ctags, rtags, created_at, updated_at)
  SELECT r.xmlid, r.name, r.url,
         (SELECT p.id FROM projects p WHERE p.domaincode = r.project),
         (SELECT s.id FROM status s WHERE s."table" = 'images' AND s.name = r.status),
         (SELECT u.id FROM users u WHERE u.sysmail = r.owner),
         r.alt_text, r.title, r.date, r.geo, r.x, r.y,
         CASE WHEN r.shape_wide IS NULL THEN NULL ELSE jsonb_populate_record(NULL::image_shape, r.shape_wide) END,
         CASE WHEN r.shape_square IS NULL THEN NULL ELSE jsonb_populate_record(NULL::image_shape, r.shape_square) END,
         CASE WHEN r.shape_vertical IS NULL THEN NULL ELSE jsonb_populate_record(NULL::image_shape, r.shape_vertical) END,
         CASE WHEN r.shape_thumb IS NULL THEN NULL ELSE jsonb_populate_record(NULL::image_shape, r.shape_thumb) END,
         r.fileformat::image_file_type, r.license::media_licence,
         CASE WHEN r.author IS NULL THEN NULL ELSE jsonb_populate_record(NULL::media_adapter, r.author) END,
         CASE WHEN r.publisher IS NULL THEN NULL ELSE jsonb_populate_record(NULL::media_adapter, r.publisher) END,
         CASE WHEN r.variant_of IS NULL THEN NULL
              ELSE ROW((SELECT i.id FROM images i WHERE i.xmlid = r.variant_of ORDER BY i.id LIMIT 1), NULL, NULL, r.variant_info)::image_variation END,
         decode(r.ctags, 'hex'), decode(r.rtags, 'hex'), r.date, r.date
  FROM jsonb_to_recordset($1::jsonb) AS r(ord int, xmlid text, name text, url text, project text, status text, owner text,
                                           alt_text text, title text, date timestamp, geo jsonb, x int, y int,
                                           shape_wide jsonb, shape_square jsonb, shape_vertical jsonb, shape_thumb jsonb,
                                           fileformat text, license text, author jsonb, publisher jsonb,
                                           variant_of text, variant_info text, ctags text, rtags text)
  ORDER BY r.ord`;

function imageRow(img: DemoImage, index: number) {
  return {
    xmlid: img.xmlid,
    name: img.name,
    url: img.url,
    project: img.project,
    status: img.status,
    owner: img.owner,
    alt_text: img.alt,
    title: img.title,
    date: demoTimestamp(2500 + index * 30),
    geo: img.geo,
    x: img.width,
    y: img.height,
    shape_wide: img.shapes.wide ?? null,
    shape_square: img.shapes.square ?? null,
    shape_vertical: img.shapes.vertical ?? null,
    shape_thumb: img.shapes.thumb ?? null,
    fileformat: img.fileformat,
    license: img.license,
    author: img.author,
    publisher: img.publisher,
    variant_of: img.variantOf,
    variant_info: img.variantOf ? 'Schwarz-Weiß-Fassung' : null,
    ctags: img.ctagsHex,
    rtags: img.rtagsHex,
  };
}

async function insertImages(client: pg.ClientBase): Promise<void> {
  // Variants after their originals, so variations.parent_id can be resolved.
  const rows = images.map((img, i) => ({ img, row: imageRow(img, i) }));
  await insertRows(
    client,
    IMAGES_SQL,
    rows.filter((r) => r.img.variantOf === null).map((r) => r.row),
  );
  await insertRows(
    client,
    IMAGES_SQL,
    rows.filter((r) => r.img.variantOf !== null).map((r) => r.row),
  );
}

async function linkImagesToOwners(client: pg.ClientBase): Promise<void> {
  await insertRows(
    client,
    `
    UPDATE projects p SET img_id = (SELECT i.id FROM images i WHERE i.xmlid = r.image ORDER BY i.id LIMIT 1)
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, domaincode text, image text)
    WHERE p.domaincode = r.domaincode`,
    projects.filter((p) => p.image).map((p) => ({ domaincode: p.domaincode, image: p.image })),
  );
  await insertRows(
    client,
    `
    UPDATE users u SET img_id = (SELECT i.id FROM images i WHERE i.xmlid = r.image ORDER BY i.id LIMIT 1)
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, sysmail text, image text)
    WHERE u.sysmail = r.sysmail`,
    users.filter((u) => u.image).map((u) => ({ sysmail: u.sysmail, image: u.image })),
  );
}

async function insertInstructors(client: pg.ClientBase, random: Random): Promise<void> {
  const eventsByInstructor = (key: string) => events.filter((e) => e.instructors.includes(key)).map((e) => eventXmlid(e.key));
  await insertRows(
    client,
    `
    INSERT INTO instructors (xmlid, name, email, phone, city, country_id, cimg, description, event_xmlid, status_id,
                             multiproject, header_type, md, created_at, updated_at, header_size, img_id, lang)
    SELECT r.xmlid, r.name, r.email, r.phone, r.city, r.country_id, r.cimg, r.description, r.event_xmlid,
           (SELECT s.id FROM status s WHERE s."table" = 'persons' AND s.name = r.status),
           r.multiproject, r.header_type, r.md, r.created_at, r.updated_at, r.header_size,
           (SELECT i.id FROM images i WHERE i.xmlid = r.image ORDER BY i.id LIMIT 1), r.lang
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, xmlid text, name text, email text, phone text, city text, country_id text,
                                             cimg text, description text, event_xmlid text, status text, multiproject text,
                                             header_type text, md text, created_at timestamp, updated_at text, header_size text,
                                             image text, lang text)
    ORDER BY r.ord`,
    instructors.map((ins, i) => {
      const handle = ins.key.replace(/_/g, '.');
      return {
        xmlid: instructorXmlid(ins.key),
        name: ins.name,
        email: `${handle}@theaterpedia.demo`,
        phone: ins.phone,
        city: ins.city,
        country_id: ins.country,
        cimg: photoUrl(ins.key, 800, 600),
        description: ins.description,
        event_xmlid: eventsByInstructor(ins.key).join(',') || null,
        status: ins.status,
        multiproject: ins.multiproject,
        header_type: ins.headerSize ? 'cover' : null,
        md: `## ${ins.name}\n\n${ins.description}`,
        created_at: demoTimestamp(4000 + i * 20 + randomInt(random, 0, 9)),
        updated_at: null,
        header_size: ins.headerSize,
        image: ins.image,
        lang: ins.lang,
      };
    }),
  );
}

async function insertLocations(client: pg.ClientBase): Promise<void> {
  await insertRows(
    client,
    `
    INSERT INTO locations (xmlid, name, phone, email, city, zip, street, country_id, is_company, category_id, cimg, header_type,
                           header_size, md, is_location_provider, event_xmlid, status_id, project_id, created_at, img_id, lang)
    SELECT r.xmlid, r.name, r.phone, r.email, r.city, r.zip, r.street, r.country_id, 'True', '_tp.location_tag', r.cimg, 'cover',
           'prominent', r.md, 'True', r.event_xmlid,
           (SELECT s.id FROM status s WHERE s."table" = 'persons' AND s.name = r.status),
           (SELECT p.id FROM projects p WHERE p.domaincode = r.project),
           r.created_at,
           (SELECT i.id FROM images i WHERE i.xmlid = r.image ORDER BY i.id LIMIT 1), r.lang
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, xmlid text, name text, phone text, email text, city text, zip text,
                                             street text, country_id text, cimg text, md text, event_xmlid text, status text,
                                             project text, created_at timestamp, image text, lang text)
    ORDER BY r.ord`,
    locations.map((loc, i) => ({
      xmlid: locationXmlid(loc.key),
      name: loc.name,
      phone: loc.phone,
      email: loc.email,
      city: loc.city,
      zip: loc.zip,
      street: loc.street,
      country_id: loc.country,
      cimg: photoUrl(loc.key, 1600, 900),
      md: `# ${loc.name}\n\n${loc.street}, ${loc.zip} ${loc.city}`,
      event_xmlid:
        events
          .filter((e) => e.location === loc.key)
          .map((e) => eventXmlid(e.key))
          .join(',') || null,
      status: loc.status,
      project: loc.project,
      created_at: demoTimestamp(5000 + i * 15),
      image: loc.image,
      lang: loc.country === 'base.cz' ? 'cz' : 'de',
    })),
  );
}

async function insertParticipants(client: pg.ClientBase, random: Random): Promise<void> {
  await insertRows(
    client,
    `
    INSERT INTO participants (xmlid, name, age, city, country_id, cimg, description, event_xmlid, type, status_id, created_at, lang)
    SELECT r.xmlid, r.name, r.age, r.city, r.country_id, r.cimg, r.description, r.event_xmlid, r.type,
           (SELECT s.id FROM status s WHERE s."table" = 'persons' AND s.name = r.status),
           r.created_at, r.lang
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, xmlid text, name text, age int, city text, country_id text, cimg text,
                                             description text, event_xmlid text, type text, status text,
                                             created_at timestamp, lang text)
    ORDER BY r.ord`,
    participants.map((p, i) => ({
      xmlid: p.key,
      name: p.name,
      age: p.age + randomInt(random, 0, 1),
      city: p.city,
      country_id: p.country,
      cimg: i % 6 === 5 ? null : photoUrl(p.key, 400, 300),
      description: p.description,
      event_xmlid: p.events.map(eventXmlid).join(','),
      type: p.type,
      status: p.status,
      created_at: demoTimestamp(6000 + i * 11),
      lang: p.country === 'base.cz' ? 'cz' : 'de',
    })),
  );
}

async function linkUsersToPersons(client: pg.ClientBase): Promise<void> {
  await insertRows(
    client,
    `
    UPDATE users u
    SET instructor_id = (SELECT i.id FROM instructors i WHERE i.xmlid = r.instructor),
        participant_id = (SELECT p.id FROM participants p WHERE p.xmlid = r.participant)
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, sysmail text, instructor text, participant text)
    WHERE u.sysmail = r.sysmail`,
    users
      .filter((u) => u.instructor || u.participant)
      .map((u) => ({ sysmail: u.sysmail, instructor: u.instructor, participant: u.participant })),
  );
}

async function insertPosts(client: pg.ClientBase): Promise<void> {
  await insertRows(
    client,
    `
    INSERT INTO posts (xmlid, name, subtitle, teaser, author_id, blog_id, website_published, is_published, post_date,
                       cover_properties, event_xmlid, cimg, created_at, updated_at, status, public_user, header_type, md,
                       status_id, lang, project_id, img_id)
    SELECT r.xmlid, r.name, r.subtitle, r.teaser, r.author_id, 'blog.blog_1', r.published, r.published, r.post_date,
           '{}', r.event_xmlid, r.cimg, r.created_at, r.updated_at, r.status,
           (SELECT i.id FROM instructors i WHERE i.xmlid = r.author_id),
           'cover', r.md,
           (SELECT s.id FROM status s WHERE s."table" = r.status_table AND s.name = r.status_name),
           r.lang,
           (SELECT p.id FROM projects p WHERE p.domaincode = r.project),
           (SELECT i.id FROM images i WHERE i.xmlid = r.image ORDER BY i.id LIMIT 1)
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, xmlid text, name text, subtitle text, teaser text, author_id text,
                                             published text, post_date text, event_xmlid text, cimg text, created_at timestamp,
                                             updated_at text, status text, md text, status_table text, status_name text,
                                             lang text, project text, image text)
    ORDER BY r.ord`,
    posts.map((p, i) => {
      const title = p.name.replace(/\*\*/g, '');
      return {
        xmlid: postXmlid(p.key),
        name: p.name,
        subtitle: i % 3 === 0 ? `Beitrag ${i + 1} im Blog` : null,
        teaser: p.teaser,
        author_id: instructorXmlid(p.author),
        published: p.legacyStatus === 'published' ? 'True' : 'False',
        post_date: p.postDate,
        event_xmlid: p.events.map(eventXmlid).join(',') || null,
        cimg: photoUrl(`post${p.key}`, 1200, 800),
        created_at: `${p.postDate} 09:${String(10 + i).padStart(2, '0')}:00`,
        updated_at: null,
        status: p.legacyStatus,
        md: `# ${title}\n\n${p.teaser}\n\n> Mehr dazu unter https://theaterpedia.demo/posts/${p.key}`,
        status_table: p.status.table,
        status_name: p.status.name,
        lang: p.lang,
        project: p.project,
        image: p.image,
      };
    }),
  );
}

async function insertEvents(client: pg.ClientBase, random: Random): Promise<void> {
  await insertRows(
    client,
    `
    INSERT INTO events (xmlid, name, date_begin, date_end, address_id, user_id, seats_max, cimg, header_type, rectitle, teaser,
                        created_at, status, public_user, location, event_type, md, status_id, lang, project_id, img_id)
    SELECT r.xmlid, r.name, r.date_begin, r.date_end, r.address_id,
           (SELECT u.id FROM users u WHERE u.sysmail = r.organiser),
           r.seats_max, r.cimg, 'cover', r.rectitle, r.teaser, r.created_at, r.status,
           (SELECT i.id FROM instructors i WHERE i.xmlid = r.public_user),
           (SELECT l.id FROM locations l WHERE l.xmlid = r.address_id),
           r.event_type, r.md,
           (SELECT s.id FROM status s WHERE s."table" = r.status_table AND s.name = r.status_name),
           r.lang,
           (SELECT p.id FROM projects p WHERE p.domaincode = r.project),
           (SELECT i.id FROM images i WHERE i.xmlid = r.image ORDER BY i.id LIMIT 1)
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, xmlid text, name text, date_begin text, date_end text, address_id text,
                                             organiser text, seats_max int, cimg text, rectitle text, teaser text,
                                             created_at timestamp, status text, public_user text, event_type text, md text,
                                             status_table text, status_name text, lang text, project text, image text)
    ORDER BY r.ord`,
    events.map((e, i) => ({
      xmlid: eventXmlid(e.key),
      name: e.name,
      date_begin: e.begin,
      date_end: e.end,
      address_id: locationXmlid(e.location),
      organiser: e.organiser,
      seats_max: e.eventType === 'festival' ? 150 : randomInt(random, 12, 30),
      cimg: photoUrl(`event_${e.key}`, 1600, 900),
      rectitle: e.rectitle,
      teaser: e.teaser,
      created_at: demoTimestamp(7000 + i * 25),
      status: e.legacyStatus,
      public_user: instructorXmlid(e.instructors[0]),
      event_type: e.eventType,
      md: `## ${e.rectitle}\n\n${e.teaser}\n\n**Beginn:** ${e.begin.slice(0, 16)}`,
      status_table: e.status.table,
      status_name: e.status.name,
      lang: e.lang,
      project: e.project,
      image: e.image,
    })),
  );
}

async function insertTagLinks(client: pg.ClientBase, random: Random): Promise<void> {
  await insertRows(
    client,
    `
    INSERT INTO events_tags (event_id, tag_id, created_at)
    SELECT (SELECT e.id FROM events e WHERE e.xmlid = r.xmlid), (SELECT t.id FROM tags t WHERE t.name = r.tag), r.created_at
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, xmlid text, tag text, created_at timestamp)
    ORDER BY r.ord`,
    tagRows(random, events).map((t, i) => ({ xmlid: eventXmlid(t.key), tag: t.tag, created_at: demoTimestamp(8000 + i) })),
  );
  await insertRows(
    client,
    `
    INSERT INTO posts_tags (post_id, tag_id, created_at)
    SELECT (SELECT p.id FROM posts p WHERE p.xmlid = r.xmlid), (SELECT t.id FROM tags t WHERE t.name = r.tag), r.created_at
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, xmlid text, tag text, created_at timestamp)
    ORDER BY r.ord`,
    tagRows(random, posts).map((t, i) => ({ xmlid: postXmlid(t.key), tag: t.tag, created_at: demoTimestamp(8100 + i) })),
  );
}

async function insertEventInstructors(client: pg.ClientBase): Promise<void> {
  await insertRows(
    client,
    `
    INSERT INTO event_instructors (event_id, instructor_id, added_at)
    SELECT (SELECT e.id FROM events e WHERE e.xmlid = r.event), (SELECT i.id FROM instructors i WHERE i.xmlid = r.instructor), r.added_at
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, event text, instructor text, added_at timestamp)
    ORDER BY r.ord`,
    eventInstructorRows().map((link, i) => ({
      event: eventXmlid(link.event),
      instructor: instructorXmlid(link.instructor),
      added_at: demoTimestamp(8200 + i),
    })),
  );
}

const INTERACTIONS_SQL = `
  INSERT INTO interactions (user_id, name, project_id, "timestamp", status_id, actions, to_mail, from_mail, subject, md, fields)
  SELECT (SELECT u.id FROM users u WHERE u.sysmail = r.user_mail), r.name,
         (SELECT p.id FROM projects p WHERE p.domaincode = r.project), r.at,
         (SELECT s.id FROM status s WHERE s."table" = 'interactions' AND s.name = r.status),
         r.actions, r.to_mail, r.from_mail, r.subject, r.md, r.fields
  FROM jsonb_to_recordset($1::jsonb) AS r(ord int, user_mail text, name text, project text, at timestamp, status text,
                                           actions jsonb, to_mail text, from_mail text, subject text, md text, fields jsonb)
  ORDER BY r.ord`;

function interactionRow(it: DemoInteraction, at: string = demoTimestamp(it.minutes)) {
  return {
    user_mail: it.user,
    name: it.name,
    project: it.project,
    at,
    status: it.status,
    actions: it.actions,
    to_mail: it.toMail,
    from_mail: it.fromMail,
    subject: it.subject,
    md: it.md,
    fields: it.fields,
  };
}

async function insertInteractions(client: pg.ClientBase): Promise<void> {
  await insertRows(
    client,
    INTERACTIONS_SQL,
    interactions.map((it) => interactionRow(it)),
  );
}

async function insertTasks(client: pg.ClientBase): Promise<void> {
  await insertRows(
    client,
    `
    INSERT INTO tasks (id, name, description, category, priority, record_type, record_id, assigned_to, created_at, due_date,
                       completed_at, status_id, entity_name, lang)
    SELECT r.id, r.name, r.description, r.category, r.priority, r.record_type, r.record_id, r.assigned_to, r.created_at, r.due_date,
           r.completed_at, (SELECT s.id FROM status s WHERE s."table" = 'tasks' AND s.name = r.status), r.entity_name, r.lang
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, id text, name text, description text, category text, priority text,
                                             record_type text, record_id text, assigned_to text, created_at timestamp,
                                             due_date text, completed_at text, status text, entity_name text, lang text)
    ORDER BY r.ord`,
    tasks.map((t, i) => ({
      id: t.id,
      name: t.name,
      description: t.description,
      category: t.category,
      priority: t.priority,
      record_type: t.recordType,
      record_id: t.recordId,
      assigned_to: t.assignedTo,
      created_at: demoTimestamp(9000 + i * 33),
      due_date: t.dueDate,
      completed_at: t.completedAt,
      status: t.status,
      entity_name: t.entityName,
      lang: t.lang,
    })),
  );
}

async function insertPages(client: pg.ClientBase, random: Random): Promise<void> {
  await insertRows(
    client,
    `
    INSERT INTO pages (id, project, header_type, page_type, created_at, updated_at, page_options, header_options, aside_options, footer_options)
    SELECT r.id, (SELECT p.id FROM projects p WHERE p.domaincode = r.project), r.header_type, r.page_type, r.created_at, r.created_at,
           r.page_options, r.header_options, r.aside_options, r.footer_options
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, id text, project text, header_type text, page_type text, created_at timestamp,
                                             page_options jsonb, header_options jsonb, aside_options jsonb, footer_options jsonb)
    ORDER BY r.ord`,
    pages.map((pg, i) => ({
      id: fakeUuid(random),
      project: pg.project,
      header_type: pg.headerType,
      page_type: pg.pageType,
      created_at: demoTimestamp(9500 + i * 12),
      page_options: pg.pageOptions,
      header_options: pg.headerOptions,
      aside_options: pg.asideOptions,
      footer_options: pg.footerOptions,
    })),
  );
}

/**
 * Inserts the demo records (counts in crearisDemoCounts) into a database that holds crearis-schema.sql.
 * The same seed always produces the same rows.
 */
export async function seedCrearisDemo(client: pg.ClientBase, options: { seed?: number } = {}): Promise<void> {
  const random = createRandom(options.seed ?? 20251109);
  await insertUsers(client, random);
  await insertProjects(client);
  await insertProjectMembers(client);
  await insertImages(client);
  await linkImagesToOwners(client);
  await insertInstructors(client, random);
  await insertLocations(client);
  await insertParticipants(client, random);
  await linkUsersToPersons(client);
  await insertPosts(client);
  await insertEvents(client, random);
  await insertTagLinks(client, random);
  await insertEventInstructors(client);
  await insertInteractions(client);
  await insertTasks(client);
  await insertPages(client, random);
}

// ─── Edits on two sides, for sync and three-way-merge scenarios ──────────────────────────────────

/** The event teaser both sides change to different values (a merge conflict). */
export const CONFLICTING_EVENT_XMLID = eventXmlid('forumabend_neustadt');

/** What applyDevEdits and applyProductionEdits touch, by natural key, for merge tests. */
export const crearisEditScenario = {
  conflict: { table: 'events', xmlid: CONFLICTING_EVENT_XMLID, column: 'teaser' },
  dev: {
    addedEvents: ['kurzszenen_plauen', 'impro_fortgeschrittene', 'schreibwerkstatt_lindenau'].map(eventXmlid),
    addedPosts: [postXmlid('dev_01'), postXmlid('dev_02')],
    addedImage: '_demo.image_plauen_saal',
    addedLocation: locationXmlid('studiobuehne_plauen'),
    editedEvents: [
      { xmlid: CONFLICTING_EVENT_XMLID, column: 'teaser' },
      { xmlid: eventXmlid('masken_gaertnerei'), column: 'name' },
    ],
    editedProject: { domaincode: 'kinderbuehne_passau', columns: ['teaser', 'description'] },
    postStatusChanged: { xmlid: postXmlid('10'), from: 'draft', to: 'publish' },
  },
  production: {
    addedUser: 'wiebke.thalmann@crearis.demo',
    addedInteractions: 1,
    editedEvents: [
      { xmlid: eventXmlid('erzaehlcafe_kraemerbruecke'), column: 'teaser' },
      { xmlid: CONFLICTING_EVENT_XMLID, column: 'teaser' },
    ],
    editedLocation: { xmlid: locationXmlid('theaterscheune_innstadt'), column: 'phone' },
  },
} as const;

async function setEventField(
  client: pg.ClientBase,
  xmlid: string,
  column: 'teaser' | 'name' | 'md',
  value: string,
  updatedAt: string,
): Promise<void> {
  await client.query(`UPDATE events SET ${column} = $2, updated_at = $3 WHERE xmlid = $1`, [xmlid, value, updatedAt]);
}

/** What a developer does on dev after pulling production: new content plus a few text edits. */
export async function applyDevEdits(client: pg.ClientBase): Promise<void> {
  await insertRows(
    client,
    `
    INSERT INTO locations (xmlid, name, phone, email, city, zip, street, country_id, is_company, category_id, header_type, md,
                           is_location_provider, status_id, project_id, created_at, lang)
    SELECT r.xmlid, r.name, r.phone, r.email, r.city, r.zip, r.street, 'base.de', 'True', '_tp.location_tag', 'cover', r.md, 'True',
           (SELECT s.id FROM status s WHERE s."table" = 'persons' AND s.name = 'active'),
           (SELECT p.id FROM projects p WHERE p.domaincode = r.project), r.created_at, 'de'
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, xmlid text, name text, phone text, email text, city text, zip text,
                                             street text, md text, project text, created_at timestamp)`,
    [
      {
        xmlid: locationXmlid('studiobuehne_plauen'),
        name: 'Studiobühne Plauen',
        phone: '03741 0290601',
        email: 'studio@plauen-buehne.demo',
        city: 'Plauen',
        zip: '08523',
        street: 'Bahnhofstraße 17',
        md: '# Studiobühne Plauen\n\nKleiner Saal mit 60 Plätzen.',
        project: 'werkraum_chemnitz',
        created_at: '2025-11-20 09:00:00',
      },
    ],
  );

  await insertRows(client, IMAGES_SQL, [
    imageRow(
      {
        xmlid: '_demo.image_plauen_saal',
        name: 'Saal der Studiobühne',
        url: 'https://images.unsplash.com/photo-1503095396549-plauen01',
        project: 'werkraum_chemnitz',
        owner: 'tobias.kuehn@crearis.demo',
        alt: 'Kleiner Theatersaal mit roten Stühlen',
        title: 'Studiobühne Plauen',
        geo: { lat: 50.4979, lon: 12.1361 },
        width: 2400,
        height: 1600,
        shapes: { wide: { x: 50, y: 35, z: 110 } },
        fileformat: 'webp',
        license: 'BY',
        author: { adapter: 'crearis', account_id: 'tobias.kuehn' },
        publisher: null,
        ctagsHex: '10',
        rtagsHex: '00',
        status: 'draft',
        variantOf: null,
      },
      40,
    ),
  ]);

  const newEvents: DemoEvent[] = [
    event(
      'kurzszenen_plauen',
      'Kurzszenen-Festival **Plauen spielt**',
      '2026-04-18 15:00:00',
      '2026-04-19 21:00:00',
      'studiobuehne_plauen',
      ['tobias_kuehn', 'aleksander_nowak'],
      'werkraum_chemnitz',
      'published',
      'confirmed',
      'festival',
      'Kurzszenen',
      'Zwei Tage, zwölf Gruppen, jede Szene höchstens zehn Minuten.',
      ['teen', 'adult'],
      { image: '_demo.image_plauen_saal' },
    ),
    event(
      'impro_fortgeschrittene',
      'Improtheater **für Fortgeschrittene**',
      '2026-02-07 10:00:00',
      '2026-02-08 16:00:00',
      'kulturspeicher_stadtamhof',
      ['lena_hofbauer'],
      'spielraum_regensburg',
      'draft',
      'draft',
      'workshop',
      'Impro II',
      'Langformen, Harold und Erzählbögen für alle, die schon einmal improvisiert haben.',
      ['adult'],
    ),
    event(
      'schreibwerkstatt_lindenau',
      'Schreibwerkstatt **Szenen aus dem Block**',
      '2026-03-12 17:30:00',
      '2026-03-12 20:30:00',
      'probebuehne_lindenau',
      ['nadia_haddad', 'hannah_engel'],
      'jugendclub_leipzig',
      null,
      'draft',
      'workshop',
      'Schreibwerkstatt',
      'Jugendliche schreiben Dialoge über ihren Wohnblock und lesen sie am Ende vor.',
      ['teen'],
    ),
  ];
  await insertRows(
    client,
    `
    INSERT INTO events (xmlid, name, date_begin, date_end, address_id, seats_max, header_type, rectitle, teaser, created_at, status,
                        public_user, location, event_type, md, status_id, lang, project_id, img_id)
    SELECT r.xmlid, r.name, r.date_begin, r.date_end, r.address_id, r.seats_max, 'cover', r.rectitle, r.teaser, r.created_at, r.status,
           (SELECT i.id FROM instructors i WHERE i.xmlid = r.public_user),
           (SELECT l.id FROM locations l WHERE l.xmlid = r.address_id),
           r.event_type, r.md,
           (SELECT s.id FROM status s WHERE s."table" = 'events' AND s.name = r.status_name),
           'de', (SELECT p.id FROM projects p WHERE p.domaincode = r.project),
           (SELECT i.id FROM images i WHERE i.xmlid = r.image ORDER BY i.id LIMIT 1)
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, xmlid text, name text, date_begin text, date_end text, address_id text,
                                             seats_max int, rectitle text, teaser text, created_at timestamp, status text,
                                             public_user text, event_type text, md text, status_name text, project text, image text)
    ORDER BY r.ord`,
    newEvents.map((e, i) => ({
      xmlid: eventXmlid(e.key),
      name: e.name,
      date_begin: e.begin,
      date_end: e.end,
      address_id: locationXmlid(e.location),
      seats_max: 16 + i * 4,
      rectitle: e.rectitle,
      teaser: e.teaser,
      created_at: `2025-11-20 10:${String(i * 5).padStart(2, '0')}:00`,
      status: e.legacyStatus,
      public_user: instructorXmlid(e.instructors[0]),
      event_type: e.eventType,
      md: `## ${e.rectitle}\n\n${e.teaser}`,
      status_name: e.status.name,
      project: e.project,
      image: e.image,
    })),
  );

  await insertRows(
    client,
    `
    INSERT INTO events_tags (event_id, tag_id, created_at)
    SELECT (SELECT e.id FROM events e WHERE e.xmlid = r.xmlid), (SELECT t.id FROM tags t WHERE t.name = r.tag), '2025-11-20 11:00:00'
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, xmlid text, tag text)
    ORDER BY r.ord`,
    [
      ...newEvents.flatMap((e) => e.tags.map((tag) => ({ xmlid: eventXmlid(e.key), tag }))),
      { xmlid: eventXmlid('hoffest_gostenhof'), tag: 'location' },
    ],
  );
  await insertRows(
    client,
    `
    INSERT INTO event_instructors (event_id, instructor_id, added_at)
    SELECT (SELECT e.id FROM events e WHERE e.xmlid = r.event), (SELECT i.id FROM instructors i WHERE i.xmlid = r.instructor), '2025-11-20 11:05:00'
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, event text, instructor text)
    ORDER BY r.ord`,
    [
      ...newEvents.flatMap((e) => e.instructors.map((i) => ({ event: eventXmlid(e.key), instructor: instructorXmlid(i) }))),
      { event: eventXmlid('medienlabor_connewitz'), instructor: instructorXmlid('tobias_kuehn') },
    ],
  );
  await insertRows(
    client,
    `
    INSERT INTO project_members (project_id, user_id, role, added_at)
    SELECT (SELECT p.id FROM projects p WHERE p.domaincode = r.project), (SELECT u.id FROM users u WHERE u.sysmail = r.sysmail), 'member', '2025-11-20 11:10:00'
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, project text, sysmail text)
    ORDER BY r.ord`,
    [
      { project: 'werkraum_chemnitz', sysmail: 'tobias.kuehn@crearis.demo' },
      { project: 'spielraum_regensburg', sysmail: 'quirin.sedlmeier@crearis.demo' },
    ],
  );

  await insertRows(
    client,
    `
    INSERT INTO posts (xmlid, name, teaser, author_id, blog_id, website_published, is_published, post_date, cover_properties, event_xmlid,
                       created_at, status, public_user, header_type, md, status_id, lang, project_id)
    SELECT r.xmlid, r.name, r.teaser, r.author_id, 'blog.blog_1', 'False', 'False', r.post_date, '{}', r.event_xmlid, r.created_at, 'draft',
           (SELECT i.id FROM instructors i WHERE i.xmlid = r.author_id), 'cover', r.md,
           (SELECT s.id FROM status s WHERE s."table" = 'posts' AND s.name = 'draft'), 'de',
           (SELECT p.id FROM projects p WHERE p.domaincode = r.project)
    FROM jsonb_to_recordset($1::jsonb) AS r(ord int, xmlid text, name text, teaser text, author_id text, post_date text,
                                             event_xmlid text, created_at timestamp, md text, project text)
    ORDER BY r.ord`,
    [
      {
        xmlid: postXmlid('dev_01'),
        name: '**Plauen spielt** Aufruf für Kurzszenen',
        teaser: 'Gruppen aus ganz Sachsen können sich bis März mit einer Szene bewerben.',
        author_id: instructorXmlid('tobias_kuehn'),
        post_date: '2026-01-05',
        event_xmlid: eventXmlid('kurzszenen_plauen'),
        created_at: '2025-11-20 12:00:00',
        md: '# Plauen spielt\n\nBewerbung per Mail.',
        project: 'werkraum_chemnitz',
      },
      {
        xmlid: postXmlid('dev_02'),
        name: '**Langformen** Wenn Impro zur Geschichte wird',
        teaser: 'Was nach dem ersten Impro-Kurs kommt: Harold, Montage und lange Bögen.',
        author_id: instructorXmlid('lena_hofbauer'),
        post_date: '2026-01-12',
        event_xmlid: eventXmlid('impro_fortgeschrittene'),
        created_at: '2025-11-20 12:05:00',
        md: '# Langformen\n\nEin Ausblick.',
        project: 'spielraum_regensburg',
      },
    ],
  );

  await setEventField(
    client,
    CONFLICTING_EVENT_XMLID,
    'teaser',
    'Eine Szene über Verdrängung im Viertel – diesmal mit Gästen vom Mieterverein. Das Publikum stoppt, steigt ein und probiert Alternativen aus.',
    '2025-11-20T13:00:00.000Z',
  );
  await setEventField(
    client,
    eventXmlid('masken_gaertnerei'),
    'name',
    'Maskenbau **Commedia dell’Arte** (Wochenendkurs)',
    '2025-11-20T13:05:00.000Z',
  );
  await client.query(`UPDATE projects SET teaser = $2, description = $3, updated_at = $4 WHERE domaincode = $1`, [
    'kinderbuehne_passau',
    'Spielclubs für 6- bis 12-Jährige in der Innstadt – jetzt auch samstags.',
    'Wöchentliche Spielclubs, Ferienwerkstätten und **zwei** Aufführungen pro Halbjahr.',
    '2025-11-20T13:10:00.000Z',
  ]);
  await client.query(
    `UPDATE posts SET status_id = (SELECT s.id FROM status s WHERE s."table" = 'posts' AND s.name = 'publish'), updated_at = $2 WHERE xmlid = $1`,
    [postXmlid('10'), '2025-11-20T13:15:00.000Z'],
  );
}

/** What happens on production in the meantime; one edit collides with applyDevEdits. */
export async function applyProductionEdits(client: pg.ClientBase): Promise<void> {
  await client.query(
    `INSERT INTO users (sysmail, extmail, username, password, role, status_id, lang, created_at, updated_at)
     VALUES ($1, NULL, $2, $3, 'user', (SELECT s.id FROM status s WHERE s."table" = 'users' AND s.name = 'new'), 'de', $4, $4)`,
    [
      'wiebke.thalmann@crearis.demo',
      'Wiebke Thalmann',
      '$2b$10$Qm3x0bW9cVt7yJp2LkR8eO5uN1sD4fG6hA0zX3cV7bN9mK2lP5qRi',
      '2025-11-21 08:30:00',
    ],
  );
  await insertRows(client, INTERACTIONS_SQL, [
    interactionRow(
      {
        name: 'anmeldung',
        user: 'wiebke.thalmann@crearis.demo',
        project: 'kinderbuehne_passau',
        minutes: 0,
        status: 'pending',
        actions: { confirm: false, waitlist: true },
        toMail: 'jonas.wiesinger@crearis.demo',
        fromMail: 'wiebke.thalmann@crearis.demo',
        subject: 'Anmeldung Spielclub für meine Tochter',
        md: 'Meine Tochter (8) möchte gern **mittwochs** mitspielen.',
        fields: { kind: 'Ella', alter: 8, telefon: '0851 0098765' },
      },
      '2025-11-21 08:45:00',
    ),
  ]);
  await setEventField(
    client,
    eventXmlid('erzaehlcafe_kraemerbruecke'),
    'teaser',
    'Ältere Erfurter*innen erzählen, junge Spieler*innen setzen in Szene. Wegen großer Nachfrage mit zweitem Termin!',
    '2025-11-21T09:00:00.000Z',
  );
  await client.query(`UPDATE locations SET phone = $2, updated_at = $3 WHERE xmlid = $1`, [
    locationXmlid('theaterscheune_innstadt'),
    '0851 3340999',
    '2025-11-21T09:05:00.000Z',
  ]);
  await setEventField(
    client,
    CONFLICTING_EVENT_XMLID,
    'teaser',
    'Eine Szene über Verdrängung im Viertel – das Publikum darf stoppen, einsteigen und Alternativen ausprobieren. Achtung: Beginn jetzt 19:30 Uhr!',
    '2025-11-21T09:10:00.000Z',
  );
}
