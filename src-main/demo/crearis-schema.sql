-- Crearis (theaterpedia/crearis-vue) schema as it stands after migrations 000–021, written as plain DDL.
-- It reproduces the end state of those migrations, quirks included (see the notes next to each quirk);
-- it does not replay their history. Runs on an empty database, PostgreSQL 13–18, no extensions.

-- ─────────────────────────────────────────────────────────────────────────────────────────────────────
-- Custom types (019, chapter 5B.4)
-- ─────────────────────────────────────────────────────────────────────────────────────────────────────

CREATE TYPE shape_opt_type AS ENUM ('param', 'json', 'url');
CREATE TYPE image_file_type AS ENUM ('none', 'jpeg', 'webp', 'avif', 'svg', 'gif', 'png');
CREATE TYPE embed_file_type AS ENUM ('pptx', 'pdf', 'mp4', 'webm', 'mov', 'avi', 'mkv', 'mp3', 'wav', 'ogg', 'flac', 'm4a', 'aac');
CREATE TYPE media_licence AS ENUM (
    'undefined', 'BY', 'BY-SA', 'BY-ND', 'BY-NC', 'BY-NC-SA', 'CC0', 'BY-ND-NC', 'BY-ND-NC-ND',
    'unsplash', 'commercial', 'private'
);
CREATE TYPE media_adapter_type AS ENUM (
    'unsplash', 'cloudinary', 'canva', 'msteams', 'vimeo', 'youtube', 'cloudflare', 'signal',
    'instagram', 'obsidian', 'crearis', 'odoo', 'pruvious'
);

CREATE TYPE media_adapter AS (
    adapter    media_adapter_type,
    file_id    text,
    account_id text,
    folder_id  text,
    info       text,
    config     jsonb
);

CREATE TYPE image_shape AS (
    x    numeric,
    y    numeric,
    z    numeric,
    url  text,
    json jsonb,
    blur varchar(50),
    turl text,
    tpar text
);

CREATE TYPE image_variation AS (
    parent_id  integer,
    alike_ids  integer[],
    release_id integer,
    info       text
);

-- ─────────────────────────────────────────────────────────────────────────────────────────────────────
-- System tables: config, versions, domains
-- ─────────────────────────────────────────────────────────────────────────────────────────────────────

CREATE TABLE crearis_config (
    id     SERIAL PRIMARY KEY,
    config JSONB NOT NULL
);

CREATE TABLE system_config (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    description TEXT,
    updated_at  TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE versions (
    id             TEXT PRIMARY KEY,
    version_number TEXT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT,
    created_at     TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    created_by     TEXT,
    is_active      INTEGER DEFAULT 0,
    snapshot_data  TEXT,
    csv_exported   INTEGER DEFAULT 0,
    notes          TEXT
);

CREATE TABLE record_versions (
    id          TEXT PRIMARY KEY,
    version_id  TEXT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    record_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_record_versions_record ON record_versions(record_type, record_id);

CREATE TABLE releases (
    id            TEXT PRIMARY KEY,
    version       TEXT NOT NULL UNIQUE,
    version_major INTEGER NOT NULL,
    version_minor INTEGER NOT NULL,
    description   TEXT,
    state         TEXT DEFAULT 'idea' CHECK (state IN ('idea', 'draft', 'final', 'trash')),
    release_date  TEXT,
    created_at    TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at    TEXT
);

CREATE TABLE hero_overrides (
    id          TEXT PRIMARY KEY,
    cimg        TEXT,
    heading     TEXT,
    description TEXT,
    event_ids   TEXT,
    created_at  TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at  TEXT
);

CREATE TABLE tlds (
    name        TEXT PRIMARY KEY,
    description TEXT,
    relevance   INTEGER CHECK (relevance IN (1, 2, 3, 4))
);

CREATE TABLE sysdomains (
    id           SERIAL PRIMARY KEY,
    tld          TEXT NOT NULL REFERENCES tlds(name),
    domain       TEXT NOT NULL,
    subdomain    TEXT,
    description  TEXT,
    options      JSONB,
    domainstring TEXT GENERATED ALWAYS AS (
        CASE WHEN subdomain IS NOT NULL AND subdomain <> '' THEN subdomain || '.' || domain ELSE domain END
    ) STORED
);

-- Declared IMMUTABLE although it reads sysdomains (as in 015), so it can feed a generated column:
-- the value is frozen when the domains row is written.
CREATE FUNCTION compute_domainname(p_sysdomain_id integer, p_tld text, p_textdomain text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_domainstring text;
BEGIN
    IF p_sysdomain_id IS NULL THEN
        RETURN p_textdomain || '.' || p_tld;
    END IF;
    SELECT s.domainstring INTO v_domainstring FROM sysdomains s WHERE s.id = p_sysdomain_id;
    IF p_textdomain IS NOT NULL AND p_textdomain <> '' THEN
        RETURN p_textdomain || '.' || v_domainstring || '.' || p_tld;
    END IF;
    RETURN v_domainstring || '.' || p_tld;
END;
$$;

CREATE TABLE domains (
    id            SERIAL PRIMARY KEY,
    sysdomain_id  INTEGER REFERENCES sysdomains(id),
    tld           TEXT NOT NULL REFERENCES tlds(name),
    textdomain    TEXT CHECK (textdomain IS NULL OR textdomain ~ '^[a-z0-9_]+$'),
    admin_user_id INTEGER,
    project_id    INTEGER,
    description   TEXT,
    domainname    TEXT GENERATED ALWAYS AS (compute_domainname(sysdomain_id, tld, textdomain)) STORED
);
CREATE UNIQUE INDEX idx_domains_domainname ON domains(domainname);

CREATE FUNCTION domains_take_tld_from_sysdomain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.sysdomain_id IS NOT NULL THEN
        SELECT s.tld INTO NEW.tld FROM sysdomains s WHERE s.id = NEW.sysdomain_id;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trigger_enforce_sysdomain_tld
    BEFORE INSERT OR UPDATE ON domains
    FOR EACH ROW EXECUTE FUNCTION domains_take_tld_from_sysdomain();

CREATE TABLE i18n_codes (
    id         SERIAL PRIMARY KEY,
    name       TEXT NOT NULL,
    variation  TEXT DEFAULT 'false',
    type       TEXT NOT NULL CHECK (type IN ('button', 'nav', 'field', 'desc')),
    text       JSONB NOT NULL,
    status     TEXT NOT NULL DEFAULT 'de' CHECK (status IN ('de', 'en', 'cz', 'draft', 'ok')),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_i18n_codes_name ON i18n_codes(name);
CREATE UNIQUE INDEX idx_i18n_codes_unique ON i18n_codes(name, variation, type);

-- ─────────────────────────────────────────────────────────────────────────────────────────────────────
-- tags and status (019, chapter 1)
-- ─────────────────────────────────────────────────────────────────────────────────────────────────────

CREATE TABLE tags (
    id          SERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    name_i18n   JSONB,
    desc_i18n   JSONB
);
CREATE UNIQUE INDEX idx_tags_name ON tags(name);

CREATE TABLE status (
    id          SERIAL PRIMARY KEY,
    value       SMALLINT NOT NULL,
    name        TEXT NOT NULL,
    "table"     TEXT NOT NULL CHECK ("table" IN ('projects', 'events', 'posts', 'persons', 'users', 'tasks', 'interactions', 'images')),
    description TEXT,
    name_i18n   JSONB,
    desc_i18n   JSONB
);
CREATE INDEX idx_status_name ON status(name);
CREATE INDEX idx_status_table ON status("table");
CREATE UNIQUE INDEX idx_status_name_table ON status(name, "table");

-- Declared IMMUTABLE although it reads status (as in 020), so status_display can be a generated column:
-- the translation is frozen when the row is written.
CREATE FUNCTION get_status_display_name(p_status_id integer, p_lang text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_name_i18n jsonb;
    v_name text;
BEGIN
    IF p_status_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT s.name_i18n, s.name INTO v_name_i18n, v_name FROM status s WHERE s.id = p_status_id;
    IF v_name_i18n IS NULL THEN
        RETURN v_name;
    END IF;
    RETURN COALESCE(v_name_i18n ->> p_lang, v_name_i18n ->> 'de', v_name_i18n ->> 'en', v_name);
END;
$$;

-- ─────────────────────────────────────────────────────────────────────────────────────────────────────
-- Entity tables (rebuilt with SERIAL ids in 019). Cross-table foreign keys are added further down,
-- because users, projects, images and instructors point at each other.
-- ─────────────────────────────────────────────────────────────────────────────────────────────────────

CREATE TABLE users (
    id             SERIAL PRIMARY KEY,
    sysmail        TEXT NOT NULL UNIQUE CHECK (sysmail ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'),
    extmail        TEXT UNIQUE CHECK (extmail IS NULL OR extmail ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'),
    username       TEXT NOT NULL,
    password       TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('user', 'admin', 'base')),
    status_id      INTEGER,
    instructor_id  INTEGER,
    participant_id INTEGER,
    lang           TEXT NOT NULL DEFAULT 'de' CHECK (lang IN ('de', 'en', 'cz')),
    created_at     TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at     TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    img_id         INTEGER,
    img_show       BOOLEAN DEFAULT FALSE,
    img_thumb      JSONB,
    img_square     JSONB,
    img_wide       JSONB,
    img_vert       JSONB,
    status_display TEXT GENERATED ALWAYS AS (get_status_display_name(status_id, lang)) STORED
);

CREATE TABLE projects (
    id                   SERIAL PRIMARY KEY,
    domaincode           TEXT NOT NULL UNIQUE CHECK (domaincode ~ '^[a-z][a-z0-9_]*$'),
    name                 TEXT,
    description          TEXT,
    status_old           TEXT DEFAULT 'new',
    owner_id             INTEGER,
    created_at           TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at           TEXT,
    header_type          TEXT,
    header_size          TEXT CHECK (header_size IN ('small', 'medium', 'large')),
    md                   TEXT,
    html                 TEXT,
    type                 TEXT DEFAULT 'project' CHECK (type IN ('project', 'regio', 'special', 'topic', 'location')),
    is_regio             BOOLEAN GENERATED ALWAYS AS (type = 'regio') STORED,
    is_topic             BOOLEAN GENERATED ALWAYS AS (type = 'topic') STORED,
    is_onepage           BOOLEAN GENERATED ALWAYS AS (COALESCE((config ->> 'onepage')::boolean, FALSE)) STORED,
    is_service           BOOLEAN GENERATED ALWAYS AS (COALESCE((config ->> 'service')::boolean, FALSE)) STORED,
    is_sidebar           BOOLEAN GENERATED ALWAYS AS (COALESCE((config ->> 'sidebar')::boolean, FALSE)) STORED,
    regio                INTEGER,
    partner_projects     TEXT,
    heading              TEXT,
    theme                INTEGER,
    cimg                 TEXT,
    teaser               TEXT,
    team_page            TEXT DEFAULT 'yes' CHECK (team_page IN ('yes', 'no')),
    cta_title            TEXT,
    cta_form             TEXT,
    cta_entity           TEXT CHECK (cta_entity IN ('post', 'event', 'instructor')),
    cta_link             TEXT,
    is_company           BOOLEAN DEFAULT FALSE,
    is_location_provider BOOLEAN DEFAULT FALSE,
    config               JSONB,
    domain_id            INTEGER,
    member_ids           JSONB,
    page_background      TEXT DEFAULT '',
    page_cssvars         JSONB DEFAULT '{}',
    page_navigation      JSONB DEFAULT '{}',
    page_options_ext     JSONB DEFAULT '{}',
    aside_postit         JSONB DEFAULT '{}',
    aside_toc            JSONB DEFAULT '{}',
    aside_list           TEXT DEFAULT '',
    aside_context        JSONB DEFAULT '{}',
    aside_options_ext    JSONB DEFAULT '{}',
    header_alert         JSONB DEFAULT '{}',
    header_postit        JSONB DEFAULT '{}',
    header_options_ext   JSONB DEFAULT '{}',
    footer_gallery       TEXT DEFAULT '',
    footer_postit        JSONB DEFAULT '{}',
    footer_slider        TEXT DEFAULT '',
    footer_repeat        JSONB DEFAULT '{}',
    footer_sitemap       TEXT DEFAULT '',
    footer_options_ext   JSONB DEFAULT '{}',
    page_has_content     BOOLEAN GENERATED ALWAYS AS (
        COALESCE(page_background, '') <> ''
        OR COALESCE(page_cssvars::text, '{}') <> '{}'
        OR COALESCE(page_navigation::text, '{}') <> '{}'
        OR COALESCE(page_options_ext::text, '{}') <> '{}'
    ) STORED,
    aside_has_content    BOOLEAN GENERATED ALWAYS AS (
        COALESCE(aside_postit::text, '{}') <> '{}'
        OR COALESCE(aside_toc::text, '{}') <> '{}'
        OR COALESCE(aside_list, '') <> ''
        OR COALESCE(aside_context::text, '{}') <> '{}'
        OR COALESCE(aside_options_ext::text, '{}') <> '{}'
    ) STORED,
    header_has_content   BOOLEAN GENERATED ALWAYS AS (
        COALESCE(header_alert::text, '{}') <> '{}'
        OR COALESCE(header_postit::text, '{}') <> '{}'
        OR COALESCE(header_options_ext::text, '{}') <> '{}'
    ) STORED,
    footer_has_content   BOOLEAN GENERATED ALWAYS AS (
        COALESCE(footer_gallery, '') <> ''
        OR COALESCE(footer_postit::text, '{}') <> '{}'
        OR COALESCE(footer_slider, '') <> ''
        OR COALESCE(footer_repeat::text, '{}') <> '{}'
        OR COALESCE(footer_sitemap, '') <> ''
        OR COALESCE(footer_options_ext::text, '{}') <> '{}'
    ) STORED,
    img_id               INTEGER,
    img_show             BOOLEAN DEFAULT FALSE,
    img_thumb            JSONB,
    img_square           JSONB,
    img_wide             JSONB,
    img_vert             JSONB,
    status_id            INTEGER NOT NULL DEFAULT 18
);
CREATE INDEX idx_projects_owner ON projects(owner_id);
CREATE INDEX idx_projects_type ON projects(type);
CREATE INDEX idx_projects_status_id ON projects(status_id);

CREATE TABLE images (
    id                 SERIAL PRIMARY KEY,
    xmlid              TEXT DEFAULT NULL,
    name               TEXT NOT NULL,
    url                TEXT NOT NULL,
    project_id         INTEGER,
    project_domaincode TEXT,
    status_id          INTEGER DEFAULT 0, -- no FK; 0 is not a status id (as in 019)
    owner_id           INTEGER,
    alt_text           TEXT,
    title              TEXT,
    date               TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    geo                JSONB,
    x                  INTEGER,
    y                  INTEGER,
    shape_wide         image_shape,
    shape_square       image_shape,
    shape_vertical     image_shape,
    shape_thumb        image_shape,
    fileformat         image_file_type DEFAULT 'none',
    embedformat        embed_file_type,
    license            media_licence DEFAULT 'BY',
    length             INTEGER,
    about              TEXT,
    author             media_adapter,
    producer           media_adapter,
    publisher          media_adapter,
    variations         image_variation,
    root_id            INTEGER,
    use_player         BOOLEAN DEFAULT FALSE,
    ctags              BYTEA DEFAULT '\x00',
    is_public          BOOLEAN DEFAULT FALSE,
    is_private         BOOLEAN DEFAULT FALSE,
    is_internal        BOOLEAN DEFAULT FALSE,
    is_deprecated      BOOLEAN DEFAULT FALSE,
    has_issues         BOOLEAN DEFAULT FALSE,
    rtags              BYTEA DEFAULT '\x00',
    created_at         TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at         TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    img_show           BOOLEAN DEFAULT FALSE,
    img_thumb          JSONB,
    img_square         JSONB,
    img_wide           JSONB,
    img_vert           JSONB
);
-- xmlid is deliberately NOT unique on images (plain index only).
CREATE INDEX idx_images_xmlid ON images(xmlid);
CREATE INDEX idx_images_owner_id ON images(owner_id);
CREATE INDEX idx_images_project_id ON images(project_id);
CREATE INDEX idx_images_status_id ON images(status_id);
CREATE INDEX idx_images_root_id ON images(root_id);

CREATE TABLE instructors (
    id             SERIAL PRIMARY KEY,
    xmlid          TEXT UNIQUE,
    name           TEXT NOT NULL,
    email          TEXT,
    phone          TEXT,
    city           TEXT,
    country_id     TEXT,
    cimg           TEXT,
    description    TEXT,
    event_xmlid    TEXT,
    version_id     TEXT,
    status_id      INTEGER,
    multiproject   TEXT DEFAULT 'yes' CHECK (multiproject IN ('yes', 'no')),
    header_type    TEXT,
    md             TEXT,
    html           TEXT,
    isbase         INTEGER DEFAULT 0,
    created_at     TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at     TEXT,
    is_user        BOOLEAN DEFAULT FALSE,
    header_size    TEXT CHECK (header_size IN ('small', 'medium', 'large')),
    regio_id       INTEGER, -- no FK (as in 019)
    img_id         INTEGER,
    img_show       BOOLEAN DEFAULT FALSE,
    img_thumb      JSONB,
    img_square     JSONB,
    img_wide       JSONB,
    img_vert       JSONB,
    lang           TEXT NOT NULL DEFAULT 'de' CHECK (lang IN ('de', 'en', 'cz')),
    status_display TEXT GENERATED ALWAYS AS (get_status_display_name(status_id, lang)) STORED
);

CREATE TABLE locations (
    id                   SERIAL PRIMARY KEY,
    xmlid                TEXT UNIQUE,
    name                 TEXT NOT NULL,
    phone                TEXT,
    email                TEXT,
    city                 TEXT,
    zip                  TEXT,
    street               TEXT,
    country_id           TEXT,
    is_company           TEXT,
    category_id          TEXT,
    cimg                 TEXT,
    header_type          TEXT,
    header_size          TEXT,
    md                   TEXT,
    is_location_provider TEXT,
    event_xmlid          TEXT,
    version_id           TEXT,
    status_id            INTEGER,
    project_id           INTEGER,
    isbase               INTEGER DEFAULT 0,
    created_at           TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at           TEXT,
    img_id               INTEGER,
    img_show             BOOLEAN DEFAULT FALSE,
    img_thumb            JSONB,
    img_square           JSONB,
    img_wide             JSONB,
    img_vert             JSONB,
    lang                 TEXT NOT NULL DEFAULT 'de' CHECK (lang IN ('de', 'en', 'cz')),
    status_display       TEXT GENERATED ALWAYS AS (get_status_display_name(status_id, lang)) STORED
);
CREATE INDEX idx_locations_project_id ON locations(project_id);

CREATE TABLE participants (
    id             SERIAL PRIMARY KEY,
    xmlid          TEXT UNIQUE,
    name           TEXT NOT NULL,
    age            INTEGER,
    city           TEXT,
    country_id     TEXT,
    cimg           TEXT,
    description    TEXT,
    event_xmlid    TEXT,
    type           TEXT,
    version_id     TEXT,
    status_id      INTEGER,
    created_at     TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at     TEXT,
    is_user        BOOLEAN DEFAULT FALSE,
    lang           TEXT NOT NULL DEFAULT 'de' CHECK (lang IN ('de', 'en', 'cz')),
    status_display TEXT GENERATED ALWAYS AS (get_status_display_name(status_id, lang)) STORED
);

CREATE TABLE posts (
    id                SERIAL PRIMARY KEY,
    xmlid             TEXT UNIQUE,
    name              TEXT,
    subtitle          TEXT,
    teaser            TEXT,
    author_id         TEXT,
    blog_id           TEXT,
    tag_ids           TEXT,
    website_published TEXT,
    is_published      TEXT,
    post_date         TEXT,
    cover_properties  TEXT,
    event_xmlid       TEXT,
    cimg              TEXT,
    version_id        TEXT,
    created_at        TIMESTAMP, -- no default after the 019 rebuild
    updated_at        TEXT,
    status            TEXT,
    isbase            INTEGER DEFAULT 0,
    template          TEXT,
    public_user       INTEGER,
    header_type       TEXT,
    md                TEXT,
    html              TEXT,
    status_id         INTEGER,
    lang              TEXT DEFAULT 'de' CHECK (lang IN ('de', 'en', 'cz')),
    tags_ids          INTEGER[] DEFAULT '{}',
    tags_display      TEXT[] DEFAULT '{}',
    project_id        INTEGER,
    regio_id          INTEGER,
    img_id            INTEGER,
    img_show          BOOLEAN DEFAULT FALSE,
    img_thumb         JSONB,
    img_square        JSONB,
    img_wide          JSONB,
    img_vert          JSONB,
    status_display    TEXT GENERATED ALWAYS AS (get_status_display_name(status_id, 'de')) STORED
);
CREATE INDEX idx_posts_project_id ON posts(project_id);

CREATE TABLE events (
    id             SERIAL PRIMARY KEY,
    xmlid          TEXT UNIQUE,
    name           TEXT,
    date_begin     TEXT,
    date_end       TEXT,
    address_id     TEXT,
    user_id        INTEGER,
    seats_max      INTEGER,
    cimg           TEXT,
    header_type    TEXT,
    rectitle       TEXT,
    teaser         TEXT,
    version_id     TEXT,
    created_at     TIMESTAMP, -- no default after the 019 rebuild
    updated_at     TEXT,
    status         TEXT,      -- legacy TEXT status, checked by trg_validate_event_status
    isbase         INTEGER DEFAULT 0,
    template       TEXT,
    public_user    INTEGER,
    location       INTEGER,
    event_type     TEXT,
    md             TEXT,
    html           TEXT,
    status_id      INTEGER,
    lang           TEXT DEFAULT 'de' CHECK (lang IN ('de', 'en', 'cz')),
    tags_ids       INTEGER[] DEFAULT '{}',
    tags_display   TEXT[] DEFAULT '{}',
    project_id     INTEGER,
    regio_id       INTEGER,
    img_id         INTEGER,
    img_show       BOOLEAN DEFAULT FALSE,
    img_thumb      JSONB,
    img_square     JSONB,
    img_wide       JSONB,
    img_vert       JSONB,
    status_display TEXT GENERATED ALWAYS AS (get_status_display_name(status_id, 'de')) STORED
);
CREATE INDEX idx_events_project_id ON events(project_id);

CREATE TABLE interactions (
    id          SERIAL PRIMARY KEY,
    user_id     INTEGER,
    name        TEXT NOT NULL,
    project_id  INTEGER,
    "timestamp" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    status_id   INTEGER NOT NULL,
    actions     JSONB,
    to_mail     TEXT,
    from_mail   TEXT,
    subject     TEXT,
    md          TEXT,
    fields      JSONB
);
CREATE INDEX idx_interactions_user_id ON interactions(user_id);
CREATE INDEX idx_interactions_project_id ON interactions(project_id);
CREATE INDEX idx_interactions_status_id ON interactions(status_id);

CREATE TABLE pages (
    id                 TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
    project            INTEGER NOT NULL,
    header_type        TEXT DEFAULT 'simple' CHECK (header_type IN ('simple', 'columns', 'banner', 'cover', 'bauchbinde')),
    page_type          TEXT NOT NULL CHECK (page_type IN ('landing', 'event', 'post', 'team')),
    created_at         TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at         TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    page_options       JSONB DEFAULT '{}',
    header_options     JSONB DEFAULT '{}',
    aside_options      JSONB DEFAULT '{}',
    footer_options     JSONB DEFAULT '{}',
    -- Inverted on purpose (as in 019 ch.12): TRUE when the options object is empty.
    page_has_content   BOOLEAN GENERATED ALWAYS AS (COALESCE(page_options::text, '{}') = '{}') STORED,
    aside_has_content  BOOLEAN GENERATED ALWAYS AS (COALESCE(aside_options::text, '{}') = '{}') STORED,
    header_has_content BOOLEAN GENERATED ALWAYS AS (COALESCE(header_options::text, '{}') = '{}') STORED,
    footer_has_content BOOLEAN GENERATED ALWAYS AS (COALESCE(footer_options::text, '{}') = '{}') STORED
);
CREATE INDEX idx_pages_project ON pages(project);

CREATE TABLE page_sections (
    id         TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
    page       TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    type       TEXT NOT NULL,
    heading    TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE form_input (
    id         TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
    project    INTEGER NOT NULL,
    name       TEXT,
    email      TEXT,
    "user"     TEXT,
    input      JSONB,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE tasks (
    id             TEXT PRIMARY KEY, -- no default
    name           TEXT NOT NULL,
    description    TEXT,
    category       TEXT DEFAULT 'project' CHECK (category IN ('project', 'base', 'admin', 'main')),
    priority       TEXT DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    record_type    TEXT,
    record_id      TEXT,
    assigned_to    TEXT,
    created_at     TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at     TEXT,
    due_date       TEXT,
    completed_at   TEXT,
    version_id     TEXT,
    release_id     TEXT,
    cimg           TEXT,
    prompt         TEXT,
    logic          TEXT,
    filter         TEXT,
    entity_name    TEXT,
    status_id      INTEGER NOT NULL DEFAULT 2,
    lang           TEXT NOT NULL DEFAULT 'de' CHECK (lang IN ('de', 'en', 'cz')),
    status_display TEXT GENERATED ALWAYS AS (get_status_display_name(status_id, lang)) STORED
);
CREATE INDEX idx_tasks_record ON tasks(record_type, record_id);

-- ─────────────────────────────────────────────────────────────────────────────────────────────────────
-- Junction tables
-- ─────────────────────────────────────────────────────────────────────────────────────────────────────

CREATE TABLE events_tags (
    event_id   INTEGER NOT NULL,
    tag_id     INTEGER NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (event_id, tag_id)
);
CREATE INDEX idx_events_tags_tag ON events_tags(tag_id);

CREATE TABLE posts_tags (
    post_id    INTEGER NOT NULL,
    tag_id     INTEGER NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX idx_posts_tags_tag ON posts_tags(tag_id);

CREATE TABLE project_members (
    project_id INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    role       TEXT DEFAULT 'member',
    added_at   TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX idx_project_members_user ON project_members(user_id);

-- No foreign keys: the 019 rebuild dropped them and 021 never restored them.
CREATE TABLE event_instructors (
    event_id      INTEGER NOT NULL,
    instructor_id INTEGER NOT NULL,
    added_at      TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (event_id, instructor_id)
);

-- ─────────────────────────────────────────────────────────────────────────────────────────────────────
-- Foreign keys (named as PostgreSQL names them by default)
-- ─────────────────────────────────────────────────────────────────────────────────────────────────────

ALTER TABLE domains ADD CONSTRAINT domains_admin_user_id_fkey FOREIGN KEY (admin_user_id) REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE domains ADD CONSTRAINT domains_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id);

ALTER TABLE users ADD CONSTRAINT users_status_id_fkey FOREIGN KEY (status_id) REFERENCES status(id);
ALTER TABLE users ADD CONSTRAINT users_instructor_id_fkey FOREIGN KEY (instructor_id) REFERENCES instructors(id) ON DELETE SET NULL;
ALTER TABLE users ADD CONSTRAINT users_participant_id_fkey FOREIGN KEY (participant_id) REFERENCES participants(id);
ALTER TABLE users ADD CONSTRAINT users_img_id_fkey FOREIGN KEY (img_id) REFERENCES images(id) ON DELETE SET NULL;

ALTER TABLE projects ADD CONSTRAINT projects_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users(id);
ALTER TABLE projects ADD CONSTRAINT projects_regio_fkey FOREIGN KEY (regio) REFERENCES projects(id);
ALTER TABLE projects ADD CONSTRAINT projects_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES domains(id);
ALTER TABLE projects ADD CONSTRAINT projects_img_id_fkey FOREIGN KEY (img_id) REFERENCES images(id) ON DELETE SET NULL;
ALTER TABLE projects ADD CONSTRAINT projects_status_id_fkey FOREIGN KEY (status_id) REFERENCES status(id);

ALTER TABLE images ADD CONSTRAINT images_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;
ALTER TABLE images ADD CONSTRAINT images_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users(id) ON DELETE SET NULL;

ALTER TABLE instructors ADD CONSTRAINT instructors_status_id_fkey FOREIGN KEY (status_id) REFERENCES status(id);
ALTER TABLE instructors ADD CONSTRAINT instructors_img_id_fkey FOREIGN KEY (img_id) REFERENCES images(id) ON DELETE SET NULL;

ALTER TABLE locations ADD CONSTRAINT locations_status_id_fkey FOREIGN KEY (status_id) REFERENCES status(id);
ALTER TABLE locations ADD CONSTRAINT locations_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;
ALTER TABLE locations ADD CONSTRAINT locations_img_id_fkey FOREIGN KEY (img_id) REFERENCES images(id) ON DELETE SET NULL;

ALTER TABLE participants ADD CONSTRAINT participants_status_id_fkey FOREIGN KEY (status_id) REFERENCES status(id);

ALTER TABLE posts ADD CONSTRAINT posts_public_user_fkey FOREIGN KEY (public_user) REFERENCES instructors(id) ON DELETE SET NULL;
ALTER TABLE posts ADD CONSTRAINT posts_status_id_fkey FOREIGN KEY (status_id) REFERENCES status(id);
ALTER TABLE posts ADD CONSTRAINT posts_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;
ALTER TABLE posts ADD CONSTRAINT posts_regio_id_fkey FOREIGN KEY (regio_id) REFERENCES projects(id);
ALTER TABLE posts ADD CONSTRAINT posts_img_id_fkey FOREIGN KEY (img_id) REFERENCES images(id) ON DELETE SET NULL;

ALTER TABLE events ADD CONSTRAINT events_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE events ADD CONSTRAINT events_public_user_fkey FOREIGN KEY (public_user) REFERENCES instructors(id) ON DELETE SET NULL;
ALTER TABLE events ADD CONSTRAINT events_location_fkey FOREIGN KEY (location) REFERENCES locations(id) ON DELETE SET NULL;
ALTER TABLE events ADD CONSTRAINT events_status_id_fkey FOREIGN KEY (status_id) REFERENCES status(id);
ALTER TABLE events ADD CONSTRAINT events_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;
ALTER TABLE events ADD CONSTRAINT events_regio_id_fkey FOREIGN KEY (regio_id) REFERENCES projects(id);
ALTER TABLE events ADD CONSTRAINT events_img_id_fkey FOREIGN KEY (img_id) REFERENCES images(id) ON DELETE SET NULL;

ALTER TABLE interactions ADD CONSTRAINT interactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE interactions ADD CONSTRAINT interactions_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE SET NULL;
ALTER TABLE interactions ADD CONSTRAINT interactions_status_id_fkey FOREIGN KEY (status_id) REFERENCES status(id);

-- SET NULL on a NOT NULL column (as in 013): deleting a project that still has pages fails.
ALTER TABLE pages ADD CONSTRAINT pages_project_fkey FOREIGN KEY (project) REFERENCES projects(id) ON DELETE SET NULL;

ALTER TABLE form_input ADD CONSTRAINT form_input_project_fkey FOREIGN KEY (project) REFERENCES projects(id) ON DELETE CASCADE;

ALTER TABLE tasks ADD CONSTRAINT tasks_status_id_fkey FOREIGN KEY (status_id) REFERENCES status(id);

ALTER TABLE events_tags ADD CONSTRAINT events_tags_event_id_fkey FOREIGN KEY (event_id) REFERENCES events(id) ON DELETE CASCADE;
ALTER TABLE events_tags ADD CONSTRAINT events_tags_tag_id_fkey FOREIGN KEY (tag_id) REFERENCES tags(id) ON DELETE CASCADE;
ALTER TABLE posts_tags ADD CONSTRAINT posts_tags_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE;
ALTER TABLE posts_tags ADD CONSTRAINT posts_tags_tag_id_fkey FOREIGN KEY (tag_id) REFERENCES tags(id) ON DELETE CASCADE;
ALTER TABLE project_members ADD CONSTRAINT project_members_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE;
ALTER TABLE project_members ADD CONSTRAINT project_members_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE;

-- ─────────────────────────────────────────────────────────────────────────────────────────────────────
-- Images: derived fields and the image cache (img_show, img_thumb, …) on entity rows
-- ─────────────────────────────────────────────────────────────────────────────────────────────────────

-- The cache value of one shape: its json (tagged 'json'), else its x/y/z parameters, else its url.
CREATE FUNCTION reduce_image_shape(shape image_shape) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN shape IS NULL THEN NULL
        WHEN (shape).json IS NOT NULL THEN jsonb_build_object('type', 'json') || (shape).json
        WHEN (shape).x IS NOT NULL OR (shape).y IS NOT NULL OR (shape).z IS NOT NULL THEN
            jsonb_strip_nulls(jsonb_build_object('type', 'param', 'x', (shape).x, 'y', (shape).y, 'z', (shape).z,
                                                 'url', (shape).url, 'blur', (shape).blur))
        WHEN (shape).url IS NOT NULL THEN
            jsonb_strip_nulls(jsonb_build_object('type', 'url', 'url', (shape).url, 'blur', (shape).blur))
        ELSE NULL
    END
$$;

-- Bits of ctags byte 0: bits 4+5 (mask 48) visibility 16 public / 32 private / 48 internal;
-- bits 6+7 (mask 192) quality 64 deprecated / 128, 192 has issues.
CREATE FUNCTION image_ctags_byte0(ctags bytea) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ctags IS NULL OR length(ctags) = 0 THEN 0 ELSE get_byte(ctags, 0) END
$$;

CREATE FUNCTION image_root_of(p_parent_id integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_current integer := p_parent_id;
    v_next integer;
    v_depth integer := 0;
BEGIN
    IF p_parent_id IS NULL THEN
        RETURN NULL;
    END IF;
    LOOP
        SELECT (i.variations).parent_id INTO v_next FROM images i WHERE i.id = v_current;
        EXIT WHEN v_next IS NULL;
        v_depth := v_depth + 1;
        IF v_depth > 5 THEN
            RAISE EXCEPTION 'Nesting too deep or endless loop detected for image parent_id=%', p_parent_id;
        END IF;
        v_current := v_next;
    END LOOP;
    RETURN v_current;
END;
$$;

CREATE FUNCTION images_compute_fields() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_byte0 integer := image_ctags_byte0(NEW.ctags);
BEGIN
    IF (NEW.author).account_id IS NOT NULL THEN
        NEW.about := '(c) ' || (NEW.author).account_id || COALESCE(' via ' || (NEW.author).adapter::text, '');
    ELSIF NEW.owner_id IS NOT NULL THEN
        NEW.about := '(c) owner_id:' || NEW.owner_id::text;
    ELSE
        NEW.about := NULL;
    END IF;

    NEW.use_player := COALESCE((NEW.publisher).adapter IN ('vimeo', 'youtube'), FALSE);

    NEW.is_public := (v_byte0 & 48) = 16;
    NEW.is_private := (v_byte0 & 48) = 32;
    NEW.is_internal := (v_byte0 & 48) = 48;
    NEW.is_deprecated := (v_byte0 & 192) = 64;
    NEW.has_issues := (v_byte0 & 192) IN (128, 192);

    NEW.root_id := image_root_of((NEW.variations).parent_id);

    IF NEW.project_id IS NULL THEN
        NEW.project_domaincode := NULL;
    ELSE
        SELECT p.domaincode INTO NEW.project_domaincode FROM projects p WHERE p.id = NEW.project_id;
    END IF;

    NEW.img_show := (v_byte0 & 192) IN (0, 64);
    IF NEW.img_show THEN
        NEW.img_thumb := COALESCE(reduce_image_shape(NEW.shape_thumb), reduce_image_shape(NEW.shape_square),
                                  jsonb_build_object('type', 'url', 'url', NEW.url));
        NEW.img_square := COALESCE(reduce_image_shape(NEW.shape_square), jsonb_build_object('type', 'url', 'url', NEW.url));
        NEW.img_wide := reduce_image_shape(NEW.shape_wide);
        NEW.img_vert := reduce_image_shape(NEW.shape_vertical);
    ELSE
        NEW.img_thumb := NULL;
        NEW.img_square := NULL;
        NEW.img_wide := NULL;
        NEW.img_vert := NULL;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trigger_update_image_computed_fields
    BEFORE INSERT OR UPDATE ON images
    FOR EACH ROW EXECUTE FUNCTION images_compute_fields();

-- Shared by users, instructors, events, locations, posts and projects: copy the cache from the image.
CREATE FUNCTION entity_copy_image_cache() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_image record;
BEGIN
    IF NEW.img_id IS NOT NULL THEN
        SELECT i.img_show, i.img_thumb, i.img_square, i.img_wide, i.img_vert INTO v_image
        FROM images i WHERE i.id = NEW.img_id;
    END IF;
    IF NEW.img_id IS NULL OR v_image IS NULL THEN
        NEW.img_show := FALSE;
        NEW.img_thumb := NULL;
        NEW.img_square := NULL;
        NEW.img_wide := NULL;
        NEW.img_vert := NULL;
    ELSE
        NEW.img_show := v_image.img_show;
        NEW.img_thumb := v_image.img_thumb;
        NEW.img_square := v_image.img_square;
        NEW.img_wide := v_image.img_wide;
        NEW.img_vert := v_image.img_vert;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trigger_update_users_image_fields BEFORE INSERT OR UPDATE OF img_id ON users
    FOR EACH ROW EXECUTE FUNCTION entity_copy_image_cache();
CREATE TRIGGER trigger_update_instructors_image_fields BEFORE INSERT OR UPDATE OF img_id ON instructors
    FOR EACH ROW EXECUTE FUNCTION entity_copy_image_cache();
CREATE TRIGGER trigger_update_events_image_fields BEFORE INSERT OR UPDATE OF img_id ON events
    FOR EACH ROW EXECUTE FUNCTION entity_copy_image_cache();
CREATE TRIGGER trigger_update_locations_image_fields BEFORE INSERT OR UPDATE OF img_id ON locations
    FOR EACH ROW EXECUTE FUNCTION entity_copy_image_cache();
CREATE TRIGGER trigger_update_posts_image_fields BEFORE INSERT OR UPDATE OF img_id ON posts
    FOR EACH ROW EXECUTE FUNCTION entity_copy_image_cache();
CREATE TRIGGER trigger_update_projects_image_fields BEFORE INSERT OR UPDATE OF img_id ON projects
    FOR EACH ROW EXECUTE FUNCTION entity_copy_image_cache();

CREATE FUNCTION images_push_cache_to_entities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET img_show = NEW.img_show, img_thumb = NEW.img_thumb, img_square = NEW.img_square,
                     img_wide = NEW.img_wide, img_vert = NEW.img_vert
    WHERE img_id = NEW.id;
    UPDATE instructors SET img_show = NEW.img_show, img_thumb = NEW.img_thumb, img_square = NEW.img_square,
                           img_wide = NEW.img_wide, img_vert = NEW.img_vert
    WHERE img_id = NEW.id;
    UPDATE events SET img_show = NEW.img_show, img_thumb = NEW.img_thumb, img_square = NEW.img_square,
                      img_wide = NEW.img_wide, img_vert = NEW.img_vert
    WHERE img_id = NEW.id;
    UPDATE locations SET img_show = NEW.img_show, img_thumb = NEW.img_thumb, img_square = NEW.img_square,
                         img_wide = NEW.img_wide, img_vert = NEW.img_vert
    WHERE img_id = NEW.id;
    UPDATE posts SET img_show = NEW.img_show, img_thumb = NEW.img_thumb, img_square = NEW.img_square,
                     img_wide = NEW.img_wide, img_vert = NEW.img_vert
    WHERE img_id = NEW.id;
    UPDATE projects SET img_show = NEW.img_show, img_thumb = NEW.img_thumb, img_square = NEW.img_square,
                        img_wide = NEW.img_wide, img_vert = NEW.img_vert
    WHERE img_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER trigger_update_referencing_entities
    AFTER UPDATE ON images
    FOR EACH ROW
    WHEN (OLD.img_show IS DISTINCT FROM NEW.img_show
          OR OLD.img_thumb IS DISTINCT FROM NEW.img_thumb
          OR OLD.img_square IS DISTINCT FROM NEW.img_square
          OR OLD.img_wide IS DISTINCT FROM NEW.img_wide
          OR OLD.img_vert IS DISTINCT FROM NEW.img_vert)
    EXECUTE FUNCTION images_push_cache_to_entities();

-- ─────────────────────────────────────────────────────────────────────────────────────────────────────
-- Users: e-mail cross-check and the is_user flags on instructors / participants
-- ─────────────────────────────────────────────────────────────────────────────────────────────────────

CREATE FUNCTION users_check_email_uniqueness() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.extmail IS NOT NULL AND EXISTS (SELECT 1 FROM users u WHERE u.sysmail = NEW.extmail AND u.id <> NEW.id) THEN
        RAISE EXCEPTION 'Email % is already used as system email', NEW.extmail;
    END IF;
    IF EXISTS (SELECT 1 FROM users u WHERE u.extmail = NEW.sysmail AND u.id <> NEW.id) THEN
        RAISE EXCEPTION 'Email % is already used as external email', NEW.sysmail;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trigger_check_email_uniqueness
    BEFORE INSERT OR UPDATE OF sysmail, extmail ON users
    FOR EACH ROW EXECUTE FUNCTION users_check_email_uniqueness();

CREATE FUNCTION refresh_instructor_is_user(p_instructor_id integer) RETURNS void LANGUAGE sql AS $$
    UPDATE instructors i
    SET is_user = EXISTS (SELECT 1 FROM users u WHERE u.instructor_id = i.id)
    WHERE i.id = p_instructor_id
      AND i.is_user IS DISTINCT FROM EXISTS (SELECT 1 FROM users u WHERE u.instructor_id = i.id);
$$;

CREATE FUNCTION refresh_participant_is_user(p_participant_id integer) RETURNS void LANGUAGE sql AS $$
    UPDATE participants p
    SET is_user = EXISTS (SELECT 1 FROM users u WHERE u.participant_id = p.id)
    WHERE p.id = p_participant_id
      AND p.is_user IS DISTINCT FROM EXISTS (SELECT 1 FROM users u WHERE u.participant_id = p.id);
$$;

CREATE FUNCTION users_sync_person_flags() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM refresh_instructor_is_user(OLD.instructor_id);
        PERFORM refresh_participant_is_user(OLD.participant_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM refresh_instructor_is_user(NEW.instructor_id);
        PERFORM refresh_participant_is_user(NEW.participant_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER trigger_sync_person_is_user
    AFTER INSERT OR UPDATE OF instructor_id, participant_id OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION users_sync_person_flags();

-- An instructor linked to a user gets the first regio project that user owns or is a member of.
CREATE FUNCTION instructors_compute_regio() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_user_id integer;
BEGIN
    IF NEW.is_user IS TRUE THEN
        SELECT u.id INTO v_user_id FROM users u WHERE u.instructor_id = NEW.id ORDER BY u.id LIMIT 1;
        IF v_user_id IS NOT NULL THEN
            NEW.regio_id := (
                SELECT p.id FROM projects p
                WHERE p.is_regio
                  AND (p.owner_id = v_user_id
                       OR (jsonb_typeof(p.member_ids) = 'array' AND p.member_ids @> to_jsonb(v_user_id)))
                ORDER BY p.id LIMIT 1
            );
        END IF;
    ELSE
        NEW.regio_id := NULL;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_update_instructors_regio
    BEFORE INSERT OR UPDATE OF is_user ON instructors
    FOR EACH ROW EXECUTE FUNCTION instructors_compute_regio();

-- ─────────────────────────────────────────────────────────────────────────────────────────────────────
-- Events and posts: regio_id from the project, tags columns, event publishing check
-- ─────────────────────────────────────────────────────────────────────────────────────────────────────

CREATE FUNCTION copy_regio_from_project() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.regio_id := (SELECT p.regio FROM projects p WHERE p.id = NEW.project_id);
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_update_events_regio BEFORE INSERT OR UPDATE OF project_id ON events
    FOR EACH ROW EXECUTE FUNCTION copy_regio_from_project();
CREATE TRIGGER trg_update_posts_regio BEFORE INSERT OR UPDATE OF project_id ON posts
    FOR EACH ROW EXECUTE FUNCTION copy_regio_from_project();

CREATE FUNCTION recompute_event_tags(p_event_id integer) RETURNS void LANGUAGE sql AS $$
    UPDATE events e SET
        tags_ids = COALESCE((SELECT array_agg(et.tag_id ORDER BY et.tag_id) FROM events_tags et WHERE et.event_id = e.id), '{}'),
        tags_display = COALESCE((
            SELECT array_agg(COALESCE(t.name_i18n ->> e.lang, t.name) ORDER BY t.name)
            FROM events_tags et JOIN tags t ON t.id = et.tag_id
            WHERE et.event_id = e.id), '{}')
    WHERE e.id = p_event_id;
$$;

CREATE FUNCTION recompute_post_tags(p_post_id integer) RETURNS void LANGUAGE sql AS $$
    UPDATE posts p SET
        tags_ids = COALESCE((SELECT array_agg(pt.tag_id ORDER BY pt.tag_id) FROM posts_tags pt WHERE pt.post_id = p.id), '{}'),
        tags_display = COALESCE((
            SELECT array_agg(COALESCE(t.name_i18n ->> p.lang, t.name) ORDER BY t.name)
            FROM posts_tags pt JOIN tags t ON t.id = pt.tag_id
            WHERE pt.post_id = p.id), '{}')
    WHERE p.id = p_post_id;
$$;

CREATE FUNCTION events_tags_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM recompute_event_tags(OLD.event_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM recompute_event_tags(NEW.event_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER trg_update_events_tags AFTER INSERT OR UPDATE OR DELETE ON events_tags
    FOR EACH ROW EXECUTE FUNCTION events_tags_changed();

CREATE FUNCTION posts_tags_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM recompute_post_tags(OLD.post_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM recompute_post_tags(NEW.post_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER trg_update_posts_tags AFTER INSERT OR UPDATE OR DELETE ON posts_tags
    FOR EACH ROW EXECUTE FUNCTION posts_tags_changed();

CREATE FUNCTION events_lang_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.lang IS DISTINCT FROM OLD.lang THEN
        NEW.tags_display := COALESCE((
            SELECT array_agg(COALESCE(t.name_i18n ->> NEW.lang, t.name) ORDER BY t.name)
            FROM events_tags et JOIN tags t ON t.id = et.tag_id
            WHERE et.event_id = NEW.id), '{}');
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_update_events_lang BEFORE UPDATE OF lang ON events
    FOR EACH ROW EXECUTE FUNCTION events_lang_changed();

CREATE FUNCTION posts_lang_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.lang IS DISTINCT FROM OLD.lang THEN
        NEW.tags_display := COALESCE((
            SELECT array_agg(COALESCE(t.name_i18n ->> NEW.lang, t.name) ORDER BY t.name)
            FROM posts_tags pt JOIN tags t ON t.id = pt.tag_id
            WHERE pt.post_id = NEW.id), '{}');
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_update_posts_lang BEFORE UPDATE OF lang ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_lang_changed();

-- The legacy TEXT status decides: anything that maps above 2 needs a public_user that is a user.
CREATE FUNCTION validate_event_status() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_status_value integer;
    v_is_user boolean;
BEGIN
    v_status_value := CASE NEW.status
        WHEN 'new' THEN 0
        WHEN 'idea' THEN 1
        WHEN 'draft' THEN 2
        WHEN 'active' THEN 4
        WHEN 'final' THEN 5
        WHEN 'published' THEN 4
        WHEN 'reopen' THEN 8
        WHEN 'trash' THEN 16
        ELSE 1
    END;
    IF v_status_value > 2 THEN
        IF NEW.public_user IS NULL THEN
            RAISE EXCEPTION 'Cannot publish event: public_user must be set to an instructor with is_user=TRUE';
        END IF;
        SELECT i.is_user INTO v_is_user FROM instructors i WHERE i.id = NEW.public_user;
        IF v_is_user IS NULL THEN
            RAISE EXCEPTION 'Cannot publish event: public_user (%) does not exist in instructors', NEW.public_user;
        END IF;
        IF v_is_user IS NOT TRUE THEN
            RAISE EXCEPTION 'Cannot publish event: public_user (%) must be an instructor with is_user=TRUE', NEW.public_user;
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_validate_event_status
    BEFORE INSERT OR UPDATE OF status, public_user ON events
    FOR EACH ROW EXECUTE FUNCTION validate_event_status();

-- ─────────────────────────────────────────────────────────────────────────────────────────────────────
-- Locations → projects.is_location_provider; interactions status check; tasks updated_at
-- ─────────────────────────────────────────────────────────────────────────────────────────────────────

-- Compares status_id (an id, not a status value) with 2, as the original does.
CREATE FUNCTION refresh_location_provider(p_project_id integer) RETURNS void LANGUAGE sql AS $$
    UPDATE projects p
    SET is_location_provider = EXISTS (SELECT 1 FROM locations l WHERE l.project_id = p.id AND l.status_id > 2)
    WHERE p.id = p_project_id
      AND p.is_location_provider IS DISTINCT FROM
          EXISTS (SELECT 1 FROM locations l WHERE l.project_id = p.id AND l.status_id > 2);
$$;

CREATE FUNCTION locations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM refresh_location_provider(OLD.project_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM refresh_location_provider(NEW.project_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER trg_update_project_location_provider
    AFTER INSERT OR UPDATE OF project_id, status_id OR DELETE ON locations
    FOR EACH ROW EXECUTE FUNCTION locations_changed();

CREATE FUNCTION check_interactions_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM status s WHERE s.id = NEW.status_id AND s."table" = 'interactions') THEN
        RAISE EXCEPTION 'status_id must reference a status entry for table ''interactions''';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER trigger_check_interactions_status
    BEFORE INSERT OR UPDATE ON interactions
    FOR EACH ROW EXECUTE FUNCTION check_interactions_status();

-- tasks.updated_at is TEXT (000 era); written as an ISO timestamp in UTC.
CREATE FUNCTION tasks_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    RETURN NEW;
END;
$$;
CREATE TRIGGER update_tasks_updated_at
    BEFORE UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_touch_updated_at();

-- ─────────────────────────────────────────────────────────────────────────────────────────────────────
-- Projects: pages are created when status_id changes to 19 (demo) or 20 (progress)
-- ─────────────────────────────────────────────────────────────────────────────────────────────────────

CREATE FUNCTION create_project_pages_on_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status_id NOT IN (19, 20) THEN
        RETURN NULL;
    END IF;
    IF NOT NEW.is_service THEN
        INSERT INTO pages (project, page_type, header_type)
        SELECT NEW.id, 'landing', 'simple'
        WHERE NOT EXISTS (SELECT 1 FROM pages pg WHERE pg.project = NEW.id AND pg.page_type = 'landing');
    END IF;
    IF NOT NEW.is_onepage THEN
        INSERT INTO pages (project, page_type, header_type)
        SELECT NEW.id, 'post', 'simple'
        WHERE NOT EXISTS (SELECT 1 FROM pages pg WHERE pg.project = NEW.id AND pg.page_type = 'post');
    END IF;
    IF NOT NEW.is_topic THEN
        INSERT INTO pages (project, page_type, header_type)
        SELECT NEW.id, 'event', 'simple'
        WHERE NOT EXISTS (SELECT 1 FROM pages pg WHERE pg.project = NEW.id AND pg.page_type = 'event');
    END IF;
    IF NEW.team_page = 'yes' THEN
        INSERT INTO pages (project, page_type, header_type)
        SELECT NEW.id, 'team', 'simple'
        WHERE NOT EXISTS (SELECT 1 FROM pages pg WHERE pg.project = NEW.id AND pg.page_type = 'team');
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER trigger_create_project_pages_on_status
    AFTER UPDATE OF status_id ON projects
    FOR EACH ROW
    WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION create_project_pages_on_status();

-- ─────────────────────────────────────────────────────────────────────────────────────────────────────
-- Seed rows of the migrations
-- ─────────────────────────────────────────────────────────────────────────────────────────────────────

-- status: explicit ids reproduce the SERIAL numbering of a fresh database, including the gaps that
-- ON CONFLICT DO NOTHING burnt (53–59: 'users' common block seeded twice; 78: persons 'archived';
-- 86: interactions 'new' in 020).
INSERT INTO status (id, value, name, "table", description, name_i18n, desc_i18n) VALUES
    (1, 0, 'new', 'tasks', 'Newly created task',
        '{"de": "Neu", "en": "New", "cz": "Nový"}', '{"de": "Neu angelegte Aufgabe", "en": "Newly created task", "cz": "Nově založený úkol"}'),
    (2, 1, 'idea', 'tasks', 'Task idea',
        '{"de": "Idee", "en": "Idea", "cz": "Nápad"}', '{"de": "Eine Idee für eine Aufgabe", "en": "An idea for a task", "cz": "Nápad na úkol"}'),
    (3, 2, 'draft', 'tasks', 'Draft task',
        '{"de": "Entwurf", "en": "Draft", "cz": "Koncept"}', '{"de": "Aufgabe im Entwurf", "en": "Task in draft", "cz": "Úkol v konceptu"}'),
    (4, 4, 'active', 'tasks', 'Task in progress',
        '{"de": "Aktiv", "en": "Active", "cz": "Aktivní"}', '{"de": "Aufgabe in Bearbeitung", "en": "Task in progress", "cz": "Úkol se zpracovává"}'),
    (5, 5, 'final', 'tasks', 'Finished task',
        '{"de": "Erledigt", "en": "Finished", "cz": "Hotovo"}', '{"de": "Erledigte Aufgabe", "en": "Finished task", "cz": "Dokončený úkol"}'),
    (6, 8, 'reopen', 'tasks', 'Reopened task',
        '{"de": "Wieder offen", "en": "Reopened", "cz": "Znovu otevřeno"}', '{"de": "Wieder geöffnete Aufgabe", "en": "Reopened task", "cz": "Znovu otevřený úkol"}'),
    (7, 16, 'trash', 'tasks', 'Task in the trash',
        '{"de": "Papierkorb", "en": "Trash", "cz": "Koš"}', '{"de": "Aufgabe im Papierkorb", "en": "Task in the trash", "cz": "Úkol v koši"}'),
    (8, 2, 'draft', 'events', 'Draft event',
        '{"de": "Entwurf", "cz": "Koncept"}', '{"de": "Veranstaltung im Entwurf", "cz": "Akce v konceptu"}'),
    (9, 3, 'publish', 'events', 'Event to publish',
        '{"de": "Veröffentlicht", "cz": "Zveřejněno"}', '{"de": "Veranstaltung ist veröffentlicht", "cz": "Akce je zveřejněna"}'),
    (10, 4, 'released', 'events', 'Released event',
        '{"de": "Freigegeben", "cz": "Uvolněno"}', '{"de": "Veranstaltung ist freigegeben", "cz": "Akce je uvolněna"}'),
    (11, 6, 'confirmed', 'events', 'Confirmed event',
        '{"de": "Bestätigt", "cz": "Potvrzeno"}', '{"de": "Veranstaltung findet sicher statt", "cz": "Akce se určitě koná"}'),
    (12, 8, 'running', 'events', 'Event is running',
        '{"de": "Läuft", "cz": "Probíhá"}', '{"de": "Veranstaltung läuft gerade", "cz": "Akce právě probíhá"}'),
    (13, 9, 'passed', 'events', 'Event is over',
        '{"de": "Vorbei", "cz": "Skončilo"}', '{"de": "Veranstaltung ist vorbei", "cz": "Akce skončila"}'),
    (14, 12, 'documented', 'events', 'Event documented',
        '{"de": "Dokumentiert", "cz": "Zdokumentováno"}', '{"de": "Veranstaltung ist dokumentiert", "cz": "Akce je zdokumentována"}'),
    (15, 2, 'draft', 'posts', 'Draft post',
        '{"de": "Entwurf", "cz": "Koncept"}', '{"de": "Beitrag im Entwurf", "cz": "Příspěvek v konceptu"}'),
    (16, 3, 'publish', 'posts', 'Post to publish',
        '{"de": "Veröffentlicht", "cz": "Zveřejněno"}', '{"de": "Beitrag ist veröffentlicht", "cz": "Příspěvek je zveřejněn"}'),
    (17, 4, 'released', 'posts', 'Released post',
        '{"de": "Freigegeben", "cz": "Uvolněno"}', '{"de": "Beitrag ist freigegeben", "cz": "Příspěvek je uvolněn"}');

INSERT INTO status (id, value, name, "table", description, name_i18n, desc_i18n)
SELECT block.first_id + common.pos, common.value, common.name, block.tbl, common.description,
       common.name_i18n::jsonb, common.desc_i18n::jsonb
FROM (VALUES ('projects', 18), ('events', 25), ('posts', 32), ('persons', 39), ('users', 46), ('interactions', 60))
        AS block(tbl, first_id)
CROSS JOIN (VALUES
    (0, 0, 'new', 'Newly created',
        '{"de": "Neu", "en": "New", "cz": "Nový"}', '{"de": "Neu angelegt", "en": "Newly created", "cz": "Nově založeno"}'),
    (1, 1, 'demo', 'Demo data',
        '{"de": "Demo", "en": "Demo", "cz": "Ukázka"}', '{"de": "Beispieldaten", "en": "Example data", "cz": "Ukázková data"}'),
    (2, 2, 'progress', 'Work in progress',
        '{"de": "In Arbeit", "en": "In progress", "cz": "Rozpracováno"}', '{"de": "Wird gerade bearbeitet", "en": "Being worked on", "cz": "Právě se zpracovává"}'),
    (3, 4, 'done', 'Done',
        '{"de": "Fertig", "en": "Done", "cz": "Hotovo"}', '{"de": "Fertiggestellt", "en": "Completed", "cz": "Dokončeno"}'),
    (4, 16, 'trash', 'In the trash',
        '{"de": "Papierkorb", "en": "Trash", "cz": "Koš"}', '{"de": "Liegt im Papierkorb", "en": "In the trash", "cz": "V koši"}'),
    (5, 32, 'archived', 'Archived',
        '{"de": "Archiviert", "en": "Archived", "cz": "Archivováno"}', '{"de": "Ins Archiv verschoben", "en": "Moved to the archive", "cz": "Přesunuto do archivu"}'),
    (6, 48, 'linked', 'Linked data',
        '{"de": "Verknüpft", "en": "Linked", "cz": "Propojeno"}', '{"de": "Mit anderen Daten verknüpft", "en": "Linked to other data", "cz": "Propojeno s dalšími daty"}')
) AS common(pos, value, name, description, name_i18n, desc_i18n);

INSERT INTO status (id, value, name, "table", description, name_i18n, desc_i18n) VALUES
    (67, 2, 'draft', 'projects', 'Draft project',
        '{"de": "Entwurf", "en": "Draft", "cz": "Koncept"}', '{"de": "Projekt im Entwurf", "en": "Project in draft", "cz": "Projekt v konceptu"}'),
    (68, 3, 'publish', 'projects', 'Project to publish',
        '{"de": "Veröffentlicht", "en": "Published", "cz": "Zveřejněno"}', '{"de": "Projekt ist veröffentlicht", "en": "Project is published", "cz": "Projekt je zveřejněn"}'),
    (69, 4, 'released', 'projects', 'Released project',
        '{"de": "Freigegeben", "en": "Released", "cz": "Uvolněno"}', '{"de": "Projekt ist freigegeben", "en": "Project is released", "cz": "Projekt je uvolněn"}'),
    (70, 0, 'activated', 'users', 'User has logged in',
        '{"de": "Aktiviert", "en": "Activated", "cz": "Aktivován"}', '{"de": "Erste Anmeldung erfolgt", "en": "First login done", "cz": "První přihlášení proběhlo"}'),
    (71, 2, 'verified', 'users', 'E-mail verified',
        '{"de": "Bestätigt", "en": "Verified", "cz": "Ověřen"}', '{"de": "E-Mail-Adresse bestätigt", "en": "E-mail address verified", "cz": "E-mailová adresa ověřena"}'),
    (72, 3, 'publish', 'users', 'Public profile',
        '{"de": "Öffentlich", "en": "Public", "cz": "Veřejný"}', '{"de": "Profil ist öffentlich", "en": "Profile is public", "cz": "Profil je veřejný"}'),
    (73, 4, 'synced', 'users', 'Synced with an external system',
        '{"de": "Synchronisiert", "en": "Synced", "cz": "Synchronizován"}', '{"de": "Mit externem System abgeglichen", "en": "Synced with an external system", "cz": "Synchronizováno s externím systémem"}'),
    (74, 6, 'public', 'users', 'Public user',
        '{"de": "Öffentlicher Nutzer", "en": "Public user", "cz": "Veřejný uživatel"}', '{"de": "Nutzer ist öffentlich sichtbar", "en": "User is publicly visible", "cz": "Uživatel je veřejně viditelný"}'),
    (75, 2, 'active', 'persons', 'Active person',
        '{"de": "Aktiv", "en": "Active", "cz": "Aktivní"}', '{"de": "Aktive Person", "en": "Active person", "cz": "Aktivní osoba"}'),
    (76, 4, 'synced', 'persons', 'Synced with an external system',
        '{"de": "Synchronisiert", "en": "Synced", "cz": "Synchronizováno"}', '{"de": "Mit externem System abgeglichen", "en": "Synced with an external system", "cz": "Synchronizováno s externím systémem"}'),
    (77, 6, 'public', 'persons', 'Public person',
        '{"de": "Öffentlich", "en": "Public", "cz": "Veřejná"}', '{"de": "Person ist öffentlich sichtbar", "en": "Person is publicly visible", "cz": "Osoba je veřejně viditelná"}'),
    (79, 16, 'deleted', 'persons', 'Deleted person',
        '{"de": "Gelöscht", "en": "Deleted", "cz": "Smazáno"}', '{"de": "Person wurde gelöscht", "en": "Person was deleted", "cz": "Osoba byla smazána"}'),
    (80, 0, 'new', 'images', 'New image',
        '{"de": "Neu", "en": "New", "cz": "Nový"}', '{"de": "Neues Bild", "en": "New image", "cz": "Nový obrázek"}'),
    (81, 1, 'demo', 'images', 'Demo image',
        '{"de": "Demo", "en": "Demo", "cz": "Ukázka"}', '{"de": "Beispielbild", "en": "Example image", "cz": "Ukázkový obrázek"}'),
    (82, 2, 'draft', 'images', 'Draft image',
        '{"de": "Entwurf", "en": "Draft", "cz": "Koncept"}', '{"de": "Bild im Entwurf", "en": "Image in draft", "cz": "Obrázek v konceptu"}'),
    (83, 4, 'done', 'images', 'Finished image',
        '{"de": "Fertig", "en": "Done", "cz": "Hotovo"}', '{"de": "Fertiges Bild", "en": "Finished image", "cz": "Hotový obrázek"}'),
    (84, 16, 'trash', 'images', 'Image in the trash',
        '{"de": "Papierkorb", "en": "Trash", "cz": "Koš"}', '{"de": "Bild im Papierkorb", "en": "Image in the trash", "cz": "Obrázek v koši"}'),
    (85, 32, 'archived', 'images', 'Archived image',
        '{"de": "Archiviert", "en": "Archived", "cz": "Archivováno"}', '{"de": "Bild im Archiv", "en": "Image in the archive", "cz": "Obrázek v archivu"}'),
    (87, 1, 'pending', 'interactions', 'Waiting for review',
        '{"de": "Offen", "en": "Pending", "cz": "Čeká"}', '{"de": "Wartet auf Prüfung", "en": "Waiting for review", "cz": "Čeká na kontrolu"}'),
    (88, 2, 'processed', 'interactions', 'Processed',
        '{"de": "Bearbeitet", "en": "Processed", "cz": "Zpracováno"}', '{"de": "Wurde bearbeitet", "en": "Has been processed", "cz": "Bylo zpracováno"}'),
    (89, 3, 'completed', 'interactions', 'Completed',
        '{"de": "Abgeschlossen", "en": "Completed", "cz": "Uzavřeno"}', '{"de": "Vorgang abgeschlossen", "en": "Case closed", "cz": "Případ uzavřen"}'),
    (90, 9, 'spam', 'interactions', 'Marked as spam',
        '{"de": "Spam", "en": "Spam", "cz": "Spam"}', '{"de": "Als Spam markiert", "en": "Marked as spam", "cz": "Označeno jako spam"}');

SELECT setval(pg_get_serial_sequence('status', 'id'), 90, true);

-- i18n_codes (020)
INSERT INTO i18n_codes (name, variation, type, text, status) VALUES
    ('ok', 'false', 'button', '{"de": "ok", "en": "ok", "cz": "ok"}', 'ok'),
    ('abbrechen', 'false', 'button', '{"de": "abbrechen", "en": "cancel", "cz": "zrušit"}', 'ok'),
    ('name', 'false', 'field', '{"de": "Titel", "en": "Title", "cz": "Název"}', 'ok'),
    ('name', 'instructors', 'field', '{"de": "Vor- und Nachname", "en": "Full name", "cz": "Vor- und Nachname"}', 'cz');

-- 021 (manual) from here on: tags, system config, tp/regio1, domains, system users, memberships, pages
INSERT INTO tags (name, description, name_i18n, desc_i18n) VALUES
    ('child', 'Suitable for children', '{"de": "Kind", "cz": "Dítě"}', '{"de": "Geeignet für Kinder", "cz": "Vhodné pro děti"}'),
    ('adult', 'For adults', '{"de": "Erwachsene", "cz": "Dospělí"}', '{"de": "Für Erwachsene", "cz": "Pro dospělé"}'),
    ('teen', 'For teenagers', '{"de": "Jugendliche", "cz": "Mládež"}', '{"de": "Für Jugendliche", "cz": "Pro mládež"}'),
    ('location', 'About a place', '{"de": "Ort", "cz": "Místo"}', '{"de": "Bezieht sich auf einen Ort", "cz": "Týká se místa"}');

INSERT INTO system_config (key, value, description) VALUES
    ('watchcsv', '{"base":{"lastCheck":null,"files":["events.csv","instructors.csv","locations.csv","participants.csv","posts.csv"]}}',
        'Last check of the CSV seed files'),
    ('watchdb', '{"base":{"lastCheck":null,"entities":["events","posts","locations","instructors","participants"]}}',
        'Last check of the database entities');

INSERT INTO crearis_config (config) VALUES ('{
    "version": "0.0.2",
    "migrations_run": [
        "000_base_schema", "001_tasks_versioning", "002_align_schema", "003_entity_task_triggers",
        "006_add_watch_task_fields", "007_create_config_table", "008_add_isbase_to_entities",
        "009_add_project_relationships", "010_add_entity_name_to_tasks", "011_add_event_type",
        "012_add_extended_fields", "013_alter_project_status_and_add_pages", "014_add_computed_columns_and_seed",
        "015_domain_system_and_extensions", "016_users_email_format", "017_project_role_tables",
        "018_update_projects_schema", "019_add_tags_status_ids", "020_refactor_entities", "021_seed_system_data"
    ]
}');

INSERT INTO tlds (name, description, relevance) VALUES
    ('de', 'Germany', 1), ('com', 'Commercial', 1), ('org', 'Organisation', 1),
    ('info', 'Information', 1), ('bayern', 'Bavaria', 1), ('eu', 'European Union', 1);

INSERT INTO sysdomains (domain, tld, subdomain, description, options) VALUES
    ('theaterpedia', 'org', NULL, 'Main domain of the network', NULL),
    ('dasei', 'eu', NULL, 'DASEI', '{"private": true}'),
    ('raumlauf', 'de', NULL, 'Raumlauf', NULL),
    ('brecht', 'bayern', NULL, 'Brecht in Bavaria', NULL),
    ('crearis', 'info', NULL, 'Crearis information site', '{"private": true}');

-- tp is 'done' (projects status 21), regio1 is 'draft' (projects status 67).
INSERT INTO projects (domaincode, name, description, type, status_id, heading, team_page) VALUES
    ('tp', 'Theaterpedia **tp**', 'Startseite des Netzwerks', 'special', 21, 'Theaterpedia', 'yes'),
    ('regio1', 'Region **regio1**', 'Erste Region des Netzwerks', 'regio', 67, 'Region 1', 'yes');

-- Passwords are random on every run (021 writes the plain text to PASSWORDS.csv); here only a
-- bcrypt-shaped random string is stored. Users get the users status 'new' (46).
INSERT INTO users (sysmail, username, password, role, status_id)
SELECT u.sysmail, u.username,
       '$2b$10$' || substr(md5(random()::text) || md5(random()::text), 1, 53),
       u.role, 46
FROM (VALUES
    (1, 'admin@theaterpedia.org', 'admin', 'admin'),
    (2, 'base@theaterpedia.org', 'base', 'base'),
    (3, 'project1@theaterpedia.org', 'project1', 'user'),
    (4, 'project2@theaterpedia.org', 'project2', 'user'),
    (5, 'tp@theaterpedia.org', 'tp', 'user'),
    (6, 'regio1@theaterpedia.org', 'regio1', 'user')
) AS u(pos, sysmail, username, role)
ORDER BY u.pos;

UPDATE projects SET owner_id = (SELECT id FROM users WHERE sysmail = 'project1@theaterpedia.org') WHERE domaincode = 'tp';
UPDATE projects SET owner_id = (SELECT id FROM users WHERE sysmail = 'project2@theaterpedia.org') WHERE domaincode = 'regio1';

INSERT INTO project_members (project_id, user_id, role)
SELECT p.id, u.id, m.role
FROM (VALUES
    ('tp', 'project1@theaterpedia.org', 'owner'),
    ('tp', 'project2@theaterpedia.org', 'member'),
    ('regio1', 'project2@theaterpedia.org', 'owner')
) AS m(domaincode, sysmail, role)
JOIN projects p ON p.domaincode = m.domaincode
JOIN users u ON u.sysmail = m.sysmail;

INSERT INTO pages (project, page_type, header_type)
SELECT p.id, t.page_type, 'banner'
FROM projects p
CROSS JOIN (VALUES (1, 'landing'), (2, 'team')) AS t(pos, page_type)
WHERE p.domaincode = 'tp'
ORDER BY t.pos;
