-- AlterTable
ALTER TABLE "Member" ADD COLUMN "revokedAt" DATETIME;
