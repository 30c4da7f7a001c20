-- The task is stored as one canonical document (core encodeTask). Rows written before keep their
-- resolved definition, without a schema version, in the renamed column: decodeTask upgrades them
-- when read. trainConfigJson and stageTimeoutMs were write-only copies of fields of that definition.
-- AlterTable
ALTER TABLE "Task" RENAME COLUMN "featuresJson" TO "definitionJson";
ALTER TABLE "Task" DROP COLUMN "trainConfigJson";
ALTER TABLE "Task" DROP COLUMN "stageTimeoutMs";
